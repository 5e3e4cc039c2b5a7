// Max ROI pooling with the semantics of Caffe's ROIPoolingLayer (caffe/src/caffe/layers/roi_pooling_layer.cpp),
// which the released model was trained with:
//  - ROI corners are scaled and rounded to the feature grid; width and height are at least one cell;
//  - bin (ph, pw) spans rows floor(ph*h/P) .. ceil((ph+1)*h/P) (float32 arithmetic), clipped to the map;
//  - an empty bin outputs 0; otherwise the maximum, whose position receives the gradient.
#pragma once
#include <torch/types.h>

#include <tuple>

namespace bua {

// features [N,C,H,W]; rois [R,5] = (batch index, x1, y1, x2, y2) in input pixels → [R,C,P,P].
// Differentiable with respect to `features`.
torch::Tensor roi_pool(const torch::Tensor& features, const torch::Tensor& rois, int64_t pooled_size,
                       double spatial_scale);

// The kernels below take what roi_pool has checked: 4-d features, [R,5] rois on the same device, batch
// indices in [0, N).
namespace detail {
// Forward returns the output and the argmax (index h*W+w within the channel, -1 for an empty bin).
std::tuple<torch::Tensor, torch::Tensor> roi_pool_forward_cpu(const torch::Tensor& features, const torch::Tensor& rois,
                                                              int64_t pooled_size, double spatial_scale);
torch::Tensor roi_pool_backward_cpu(const torch::Tensor& grad, const torch::Tensor& argmax, const torch::Tensor& rois,
                                    torch::IntArrayRef feature_sizes);
// The forward output alone (no gradient needed), from a [N,H,W,C] walk: equal to roi_pool_forward_cpu's output.
// A channels-last map gives a channels-last result, any other a contiguous NCHW one.
torch::Tensor roi_pool_inference_cpu(const torch::Tensor& features, const torch::Tensor& rois, int64_t pooled_size,
                                     double spatial_scale);
#ifdef BUA_WITH_CUDA
std::tuple<torch::Tensor, torch::Tensor> roi_pool_forward_cuda(const torch::Tensor& features, const torch::Tensor& rois,
                                                               int64_t pooled_size, double spatial_scale);
torch::Tensor roi_pool_backward_cuda(const torch::Tensor& grad, const torch::Tensor& argmax, const torch::Tensor& rois,
                                     torch::IntArrayRef feature_sizes);
// The forward output alone, without the argmax buffer training needs.
torch::Tensor roi_pool_inference_cuda(const torch::Tensor& features, const torch::Tensor& rois, int64_t pooled_size,
                                      double spatial_scale);
#endif
}  // namespace detail

}  // namespace bua
