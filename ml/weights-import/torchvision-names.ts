import type { ModelArch } from '../models/build-options';

/**
 * The torchvision module path of each zoo layer that has weights (the zoo keeps Keras' layer names), e.g.
 * mobilenet_v2's `block_3_depthwise_BN` is torchvision's `features.4.conv.1.1`. Undefined: no counterpart.
 */
export function torchvisionModulePath(arch: ModelArch, layer: string): string | undefined {
  const path = TORCHVISION_PATHS[arch];
  return path?.(layer);
}

const MOBILENET_V2_FIXED: Record<string, string> = {
  Conv1: 'features.0.0',
  bn_Conv1: 'features.0.1',
  expanded_conv_depthwise: 'features.1.conv.0.0',
  expanded_conv_depthwise_BN: 'features.1.conv.0.1',
  expanded_conv_project: 'features.1.conv.1',
  expanded_conv_project_BN: 'features.1.conv.2',
  Conv_1: 'features.18.0',
  Conv_1_bn: 'features.18.1',
  predictions: 'classifier.1',
};
/** torchvision InvertedResidual.conv: [expand conv+BN], [depthwise conv+BN], project conv, project BN. */
const MOBILENET_V2_BLOCK_PARTS: Record<string, string> = {
  expand: 'conv.0.0',
  expand_BN: 'conv.0.1',
  depthwise: 'conv.1.0',
  depthwise_BN: 'conv.1.1',
  project: 'conv.2',
  project_BN: 'conv.3',
};

const DENSENET_LAYER_PARTS: Record<string, string> = {
  '0_bn': 'norm1',
  '1_conv': 'conv1',
  '1_bn': 'norm2',
  '2_conv': 'conv2',
};
const DENSENET_FIXED: Record<string, string> = {
  conv1_conv: 'features.conv0',
  conv1_bn: 'features.norm0',
  bn: 'features.norm5',
  predictions: 'classifier',
};

/** torchvision's squeezenet1_1.features indices of fire2..fire9 (pools sit at 2, 5 and 8). */
const SQUEEZENET_FIRE_INDEX: Record<string, number> = { 2: 3, 3: 4, 4: 6, 5: 7, 6: 9, 7: 10, 8: 11, 9: 12 };

const TORCHVISION_PATHS: Partial<Record<ModelArch, (layer: string) => string | undefined>> = {
  mobilenet_v2: (layer) => {
    const fixed = MOBILENET_V2_FIXED[layer];
    if (fixed !== undefined) return fixed;
    const match = /^block_(\d+)_(.+)$/.exec(layer);
    const part = match ? MOBILENET_V2_BLOCK_PARTS[match[2] as string] : undefined;
    return match && part ? `features.${Number(match[1]) + 1}.${part}` : undefined;
  },
  densenet121: (layer) => {
    const fixed = DENSENET_FIXED[layer];
    if (fixed !== undefined) return fixed;
    const dense = /^conv(\d)_block(\d+)_(\d_(?:bn|conv))$/.exec(layer);
    if (dense) {
      const part = DENSENET_LAYER_PARTS[dense[3] as string];
      return part && `features.denseblock${Number(dense[1]) - 1}.denselayer${dense[2]}.${part}`;
    }
    const transition = /^pool(\d)_(bn|conv)$/.exec(layer);
    if (transition) {
      return `features.transition${Number(transition[1]) - 1}.${transition[2] === 'bn' ? 'norm' : 'conv'}`;
    }
    return undefined;
  },
  squeezenet1_1: (layer) => {
    if (layer === 'conv1') return 'features.0';
    if (layer === 'classifier_conv') return 'classifier.1';
    const fire = /^fire(\d)_(squeeze1x1|expand1x1|expand3x3)$/.exec(layer);
    const index = fire ? SQUEEZENET_FIRE_INDEX[fire[1] as string] : undefined;
    // torchvision's Fire calls its squeeze conv `squeeze`.
    const part = fire?.[2] === 'squeeze1x1' ? 'squeeze' : fire?.[2];
    return fire && index !== undefined ? `features.${index}.${part}` : undefined;
  },
};

/**
 * torchvision's densenet121 download predates its module renames: `denselayer1.norm.1.weight` for today's
 * `denselayer1.norm1.weight` (torchvision rewrites the keys the same way when it loads them).
 */
export function modernTorchvisionKey(key: string): string {
  return key.replace(
    /^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$/,
    '$1$2',
  );
}
