// amto graph engine: a thin N-API binding over TensorFlow's C API. It builds one graph from op
// descriptions sent by TypeScript (ml/graph-engine/), adds gradients with TF_AddGradients and runs a
// whole training step with one TF_SessionRun, so no per-op dispatch crosses into JavaScript.
#include <napi.h>
#include <tensorflow/c/c_api.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

struct StatusDeleter {
  void operator()(TF_Status* s) const { TF_DeleteStatus(s); }
};
using Status = std::unique_ptr<TF_Status, StatusDeleter>;

Status NewStatus() { return Status(TF_NewStatus()); }

size_t DataTypeSize(TF_DataType type) { return TF_DataTypeSize(type); }

std::vector<int64_t> Dims(const Napi::Value& value, const char* what) {
  if (!value.IsArray()) {
    throw Napi::TypeError::New(value.Env(), std::string(what) + " must be an array of dimensions");
  }
  Napi::Array array = value.As<Napi::Array>();
  std::vector<int64_t> dims(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++) {
    dims[i] = array.Get(i).As<Napi::Number>().Int64Value();
  }
  return dims;
}

// A tensor from [dtype, dims, typedArray]; the data is copied so JavaScript may reuse its buffer.
TF_Tensor* TensorFromJs(const Napi::Value& value, const std::string& what) {
  Napi::Env env = value.Env();
  if (!value.IsArray() || value.As<Napi::Array>().Length() != 3) {
    throw Napi::TypeError::New(env, what + ": a tensor is [dtype, dims, typedArray]");
  }
  Napi::Array spec = value.As<Napi::Array>();
  auto type = static_cast<TF_DataType>(spec.Get(0u).As<Napi::Number>().Int32Value());
  std::vector<int64_t> dims = Dims(spec.Get(1u), what.c_str());
  Napi::Value data = spec.Get(2u);
  if (!data.IsTypedArray()) {
    throw Napi::TypeError::New(env, what + ": tensor data must be a typed array");
  }
  Napi::TypedArray typed = data.As<Napi::TypedArray>();
  int64_t elements = 1;
  for (int64_t d : dims) elements *= d;
  size_t bytes = static_cast<size_t>(elements) * DataTypeSize(type);
  if (typed.ByteLength() != bytes) {
    throw Napi::RangeError::New(env, what + ": tensor data has " + std::to_string(typed.ByteLength()) +
                                         " bytes but its dtype and dims need " + std::to_string(bytes));
  }
  TF_Tensor* tensor = TF_AllocateTensor(type, dims.data(), static_cast<int>(dims.size()), bytes);
  auto* source = static_cast<uint8_t*>(typed.ArrayBuffer().Data()) + typed.ByteOffset();
  if (bytes > 0) std::memcpy(TF_TensorData(tensor), source, bytes);
  return tensor;
}

Napi::Value TensorToJs(Napi::Env env, TF_Tensor* tensor) {
  TF_DataType type = TF_TensorType(tensor);
  int rank = TF_NumDims(tensor);
  Napi::Array dims = Napi::Array::New(env, rank);
  for (int i = 0; i < rank; i++) dims.Set(i, Napi::Number::New(env, static_cast<double>(TF_Dim(tensor, i))));
  size_t bytes = TF_TensorByteSize(tensor);
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, bytes);
  if (bytes > 0) std::memcpy(buffer.Data(), TF_TensorData(tensor), bytes);
  size_t elements = bytes / (DataTypeSize(type) == 0 ? 1 : DataTypeSize(type));
  Napi::Value data;
  switch (type) {
    case TF_FLOAT: data = Napi::Float32Array::New(env, elements, buffer, 0); break;
    case TF_INT32: data = Napi::Int32Array::New(env, elements, buffer, 0); break;
    case TF_INT64: data = Napi::BigInt64Array::New(env, elements, buffer, 0); break;
    case TF_BOOL:
    case TF_UINT8: data = Napi::Uint8Array::New(env, elements, buffer, 0); break;
    default:
      throw Napi::TypeError::New(env, "graph engine: cannot return a tensor of TF dtype " + std::to_string(type));
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("dtype", Napi::Number::New(env, type));
  result.Set("dims", dims);
  result.Set("data", data);
  return result;
}

class Graph : public Napi::ObjectWrap<Graph> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Graph",
                       {InstanceMethod("addOperation", &Graph::AddOperation),
                        InstanceMethod("addGradients", &Graph::AddGradients),
                        InstanceMethod("outputShape", &Graph::OutputShape)});
  }

  explicit Graph(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Graph>(info), graph_(TF_NewGraph()) {}
  ~Graph() override { TF_DeleteGraph(graph_); }

  TF_Graph* graph() const { return graph_; }

  TF_Output Output(const Napi::Value& value, const char* what) {
    Napi::Env env = value.Env();
    if (!value.IsArray() || value.As<Napi::Array>().Length() != 2) {
      throw Napi::TypeError::New(env, std::string(what) + ": an output is [operationName, index]");
    }
    Napi::Array pair = value.As<Napi::Array>();
    std::string name = pair.Get(0u).As<Napi::String>().Utf8Value();
    int index = pair.Get(1u).As<Napi::Number>().Int32Value();
    TF_Operation* op = TF_GraphOperationByName(graph_, name.c_str());
    if (op == nullptr) {
      throw Napi::Error::New(env, std::string(what) + ": the graph has no operation named '" + name + "'");
    }
    if (index < 0 || index >= TF_OperationNumOutputs(op)) {
      throw Napi::RangeError::New(env, std::string(what) + ": operation '" + name + "' has no output " +
                                           std::to_string(index));
    }
    return TF_Output{op, index};
  }

  std::vector<TF_Output> Outputs(const Napi::Value& value, const char* what) {
    if (!value.IsArray()) throw Napi::TypeError::New(value.Env(), std::string(what) + " must be an array of outputs");
    Napi::Array array = value.As<Napi::Array>();
    std::vector<TF_Output> outputs;
    outputs.reserve(array.Length());
    for (uint32_t i = 0; i < array.Length(); i++) outputs.push_back(Output(array.Get(i), what));
    return outputs;
  }

 private:
  // addOperation(type, name, inputs, attrs, controlInputs): inputs are outputs [op, index] or, for a
  // list input, arrays of them; attrs are [name, kind, value] with kind naming the TF attr setter.
  Napi::Value AddOperation(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string type = info[0].As<Napi::String>().Utf8Value();
    std::string name = info[1].As<Napi::String>().Utf8Value();
    std::string context = "operation '" + name + "' (" + type + ")";
    TF_OperationDescription* desc = TF_NewOperation(graph_, type.c_str(), name.c_str());
    std::vector<TF_Tensor*> attrTensors;
    try {
      Napi::Array inputs = info[2].As<Napi::Array>();
      for (uint32_t i = 0; i < inputs.Length(); i++) {
        Napi::Value input = inputs.Get(i);
        Napi::Array asArray = input.As<Napi::Array>();
        bool isList = asArray.Length() == 0 || asArray.Get(0u).IsArray();
        if (isList) {
          std::vector<TF_Output> list = Outputs(input, context.c_str());
          TF_AddInputList(desc, list.data(), static_cast<int>(list.size()));
        } else {
          TF_AddInput(desc, Output(input, context.c_str()));
        }
      }
      Napi::Array attrs = info[3].As<Napi::Array>();
      for (uint32_t i = 0; i < attrs.Length(); i++) {
        Napi::Array attr = attrs.Get(i).As<Napi::Array>();
        std::string attrName = attr.Get(0u).As<Napi::String>().Utf8Value();
        std::string kind = attr.Get(1u).As<Napi::String>().Utf8Value();
        Napi::Value v = attr.Get(2u);
        const char* n = attrName.c_str();
        if (kind == "int") {
          TF_SetAttrInt(desc, n, v.As<Napi::Number>().Int64Value());
        } else if (kind == "float") {
          TF_SetAttrFloat(desc, n, v.As<Napi::Number>().FloatValue());
        } else if (kind == "bool") {
          TF_SetAttrBool(desc, n, v.As<Napi::Boolean>().Value() ? 1 : 0);
        } else if (kind == "type") {
          TF_SetAttrType(desc, n, static_cast<TF_DataType>(v.As<Napi::Number>().Int32Value()));
        } else if (kind == "string") {
          std::string s = v.As<Napi::String>().Utf8Value();
          TF_SetAttrString(desc, n, s.data(), s.size());
        } else if (kind == "ints") {
          std::vector<int64_t> ints = Dims(v, n);
          TF_SetAttrIntList(desc, n, ints.data(), static_cast<int>(ints.size()));
        } else if (kind == "shape") {
          std::vector<int64_t> dims = Dims(v, n);
          TF_SetAttrShape(desc, n, dims.data(), static_cast<int>(dims.size()));
        } else if (kind == "tensor") {
          TF_Tensor* tensor = TensorFromJs(v, context + " attr " + attrName);
          attrTensors.push_back(tensor);
          Status status = NewStatus();
          TF_SetAttrTensor(desc, n, tensor, status.get());
          if (TF_GetCode(status.get()) != TF_OK) {
            throw Napi::Error::New(env, context + " attr " + attrName + ": " + TF_Message(status.get()));
          }
        } else {
          throw Napi::TypeError::New(env, context + ": unknown attr kind '" + kind + "'");
        }
      }
      if (info.Length() > 4 && info[4].IsArray()) {
        Napi::Array controls = info[4].As<Napi::Array>();
        for (uint32_t i = 0; i < controls.Length(); i++) {
          std::string control = controls.Get(i).As<Napi::String>().Utf8Value();
          TF_Operation* op = TF_GraphOperationByName(graph_, control.c_str());
          if (op == nullptr) throw Napi::Error::New(env, context + ": no control input named '" + control + "'");
          TF_AddControlInput(desc, op);
        }
      }
    } catch (...) {
      // A started description must be finished; an invalid one is discarded by TF with an error.
      Status discard = NewStatus();
      TF_FinishOperation(desc, discard.get());
      for (TF_Tensor* t : attrTensors) TF_DeleteTensor(t);
      throw;
    }
    Status status = NewStatus();
    TF_Operation* op = TF_FinishOperation(desc, status.get());
    for (TF_Tensor* t : attrTensors) TF_DeleteTensor(t);
    if (TF_GetCode(status.get()) != TF_OK) {
      throw Napi::Error::New(env, context + ": " + TF_Message(status.get()));
    }
    return Napi::Number::New(env, TF_OperationNumOutputs(op));
  }

  // addGradients(prefix, ys, xs, dys|null) -> outputs [op, index] of d(sum ys)/d xs.
  Napi::Value AddGradients(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string prefix = info[0].As<Napi::String>().Utf8Value();
    std::vector<TF_Output> ys = Outputs(info[1], "addGradients ys");
    std::vector<TF_Output> xs = Outputs(info[2], "addGradients xs");
    std::vector<TF_Output> dys;
    if (info[3].IsArray()) dys = Outputs(info[3], "addGradients dys");
    std::vector<TF_Output> dxs(xs.size());
    Status status = NewStatus();
    TF_AddGradientsWithPrefix(graph_, prefix.c_str(), ys.data(), static_cast<int>(ys.size()), xs.data(),
                              static_cast<int>(xs.size()), dys.empty() ? nullptr : dys.data(), status.get(),
                              dxs.data());
    if (TF_GetCode(status.get()) != TF_OK) {
      throw Napi::Error::New(env, std::string("addGradients: ") + TF_Message(status.get()));
    }
    Napi::Array result = Napi::Array::New(env, dxs.size());
    for (size_t i = 0; i < dxs.size(); i++) {
      if (dxs[i].oper == nullptr) {
        result.Set(i, env.Null());
        continue;
      }
      Napi::Array pair = Napi::Array::New(env, 2);
      pair.Set(0u, Napi::String::New(env, TF_OperationName(dxs[i].oper)));
      pair.Set(1u, Napi::Number::New(env, dxs[i].index));
      result.Set(i, pair);
    }
    return result;
  }

  // outputShape([op, index]) -> dims (-1 unknown), or null for unknown rank.
  Napi::Value OutputShape(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    TF_Output output = Output(info[0], "outputShape");
    Status status = NewStatus();
    int rank = TF_GraphGetTensorNumDims(graph_, output, status.get());
    if (TF_GetCode(status.get()) != TF_OK) throw Napi::Error::New(env, TF_Message(status.get()));
    if (rank < 0) return env.Null();
    std::vector<int64_t> dims(rank);
    TF_GraphGetTensorShape(graph_, output, dims.data(), rank, status.get());
    if (TF_GetCode(status.get()) != TF_OK) throw Napi::Error::New(env, TF_Message(status.get()));
    Napi::Array result = Napi::Array::New(env, rank);
    for (int i = 0; i < rank; i++) result.Set(i, Napi::Number::New(env, static_cast<double>(dims[i])));
    return result;
  }

  TF_Graph* graph_;
};

class Session : public Napi::ObjectWrap<Session> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Session", {InstanceMethod("run", &Session::Run), InstanceMethod("close", &Session::Close)});
  }

  // new Session(graph, configProtoBytes)
  explicit Session(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Session>(info) {
    Napi::Env env = info.Env();
    graphRef_ = Napi::Persistent(info[0].As<Napi::Object>());
    graph_ = Graph::Unwrap(info[0].As<Napi::Object>());
    TF_SessionOptions* options = TF_NewSessionOptions();
    Status status = NewStatus();
    if (info.Length() > 1 && info[1].IsTypedArray()) {
      Napi::Uint8Array config = info[1].As<Napi::Uint8Array>();
      TF_SetConfig(options, config.Data(), config.ByteLength(), status.get());
      if (TF_GetCode(status.get()) != TF_OK) {
        TF_DeleteSessionOptions(options);
        throw Napi::Error::New(env, std::string("Session config: ") + TF_Message(status.get()));
      }
    }
    session_ = TF_NewSession(graph_->graph(), options, status.get());
    TF_DeleteSessionOptions(options);
    if (TF_GetCode(status.get()) != TF_OK) {
      throw Napi::Error::New(env, std::string("TF_NewSession: ") + TF_Message(status.get()));
    }
  }

  ~Session() override { CloseSession(); }

 private:
  void CloseSession() {
    if (session_ == nullptr) return;
    Status status = NewStatus();
    TF_CloseSession(session_, status.get());
    TF_DeleteSession(session_, status.get());
    session_ = nullptr;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    CloseSession();
    return info.Env().Undefined();
  }

  // run(feeds: [[op, index], tensor][], fetches: [op, index][], targets: string[]) -> tensors
  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (session_ == nullptr) throw Napi::Error::New(env, "graph engine: the session is closed");
    Napi::Array feedSpecs = info[0].As<Napi::Array>();
    std::vector<TF_Output> feeds;
    std::vector<TF_Tensor*> feedTensors;
    auto freeFeeds = [&]() {
      for (TF_Tensor* t : feedTensors) TF_DeleteTensor(t);
    };
    try {
      for (uint32_t i = 0; i < feedSpecs.Length(); i++) {
        Napi::Array feed = feedSpecs.Get(i).As<Napi::Array>();
        feeds.push_back(graph_->Output(feed.Get(0u), "run feed"));
        feedTensors.push_back(TensorFromJs(feed.Get(1u), "run feed " + std::to_string(i)));
      }
      std::vector<TF_Output> fetches = graph_->Outputs(info[1], "run fetch");
      Napi::Array targetNames = info[2].As<Napi::Array>();
      std::vector<TF_Operation*> targets;
      for (uint32_t i = 0; i < targetNames.Length(); i++) {
        std::string name = targetNames.Get(i).As<Napi::String>().Utf8Value();
        TF_Operation* op = TF_GraphOperationByName(graph_->graph(), name.c_str());
        if (op == nullptr) throw Napi::Error::New(env, "run target: the graph has no operation named '" + name + "'");
        targets.push_back(op);
      }
      std::vector<TF_Tensor*> fetched(fetches.size(), nullptr);
      Status status = NewStatus();
      TF_SessionRun(session_, nullptr, feeds.data(), feedTensors.data(), static_cast<int>(feeds.size()),
                    fetches.data(), fetched.data(), static_cast<int>(fetches.size()), targets.data(),
                    static_cast<int>(targets.size()), nullptr, status.get());
      freeFeeds();
      feedTensors.clear();
      if (TF_GetCode(status.get()) != TF_OK) {
        for (TF_Tensor* t : fetched) if (t != nullptr) TF_DeleteTensor(t);
        throw Napi::Error::New(env, std::string("TF_SessionRun: ") + TF_Message(status.get()));
      }
      Napi::Array result = Napi::Array::New(env, fetched.size());
      for (size_t i = 0; i < fetched.size(); i++) {
        result.Set(i, TensorToJs(env, fetched[i]));
        TF_DeleteTensor(fetched[i]);
      }
      return result;
    } catch (...) {
      freeFeeds();
      throw;
    }
  }

  Napi::ObjectReference graphRef_;
  Graph* graph_ = nullptr;
  TF_Session* session_ = nullptr;
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Graph", Graph::Define(env));
  exports.Set("Session", Session::Define(env));
  exports.Set("tensorflowVersion", Napi::String::New(env, TF_Version()));
  return exports;
}

}  // namespace

NODE_API_MODULE(amto_graph_engine, Init)
