{
  # Built by infra/build-graph-engine.sh, which sets AMTO_TF_DIR (the TensorFlow C library),
  # AMTO_TF_LIB_REAL (its real directory) and AMTO_NAPI_INCLUDE (node-addon-api's headers).
  "targets": [
    {
      "target_name": "amto_graph_engine",
      "sources": ["graph-engine.cc"],
      "include_dirs": [
        "<!(echo $AMTO_NAPI_INCLUDE)",
        "<!(echo $AMTO_TF_DIR)/include"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-fexceptions", "-std=c++17", "-O2"],
      "libraries": [
        "-L<!(echo $AMTO_TF_DIR)/lib",
        "-ltensorflow",
        # The library's own directory (lib/ holds symlinks to it), so no LD_LIBRARY_PATH is needed.
        "-Wl,-rpath,<!(echo $AMTO_TF_LIB_REAL)"
      ]
    }
  ]
}
