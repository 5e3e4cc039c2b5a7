// ROI pooling for inference on the CPU: no argmax, and the channels of a cell read as one contiguous vector.
// The training kernel (roi_pool_cpu.cpp) walks each channel plane of a NCHW map; at inference that scalar walk
// over 300 ROIs x 1024 channels took seconds per image. Here the map is laid out [N,H,W,C] once, and each bin
// is the elementwise max of the C-vectors of its cells, which the compiler vectorises. Same bins, same maxima:
// the output equals the training kernel's exactly.
#include <torch/torch.h>

#include <vector>

#include "bua/ops/roi_pool.h"
#include "roi_pool_geometry.h"

namespace bua::detail {

torch::Tensor roi_pool_inference_cpu(const torch::Tensor& features, const torch::Tensor& rois, int64_t pooled_size,
                                     double spatial_scale) {
  const bool channels_last = features.is_contiguous(torch::MemoryFormat::ChannelsLast) && !features.is_contiguous();
  // [N,H,W,C], in float: the maxima are exact in any floating type, and float vectorises everywhere.
  const auto x = features.permute({0, 2, 3, 1}).to(torch::kFloat).contiguous();
  const auto r = rois.to(torch::kFloat).contiguous();
  const int64_t N = x.size(0), H = x.size(1), W = x.size(2), C = x.size(3), R = r.size(0), P = pooled_size;
  // [R,P,P,C] in the features' dtype, seen as [R,C,P,P] (channels-last strides).
  auto out = torch::empty({R, P, P, C}, features.options().memory_format(torch::MemoryFormat::Contiguous));
  const float* xp = x.data_ptr<float>();
  const float* rp = r.data_ptr<float>();
  for (int64_t n = 0; n < R; ++n) {
    const auto b = static_cast<int64_t>(rp[5 * n]);
    TORCH_CHECK(b >= 0 && b < N, "roi_pool: roi ", n, " has batch index ", b);
  }
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, out.scalar_type(), "roi_pool_inference_cpu", [&] {
    scalar_t* op = out.data_ptr<scalar_t>();
    at::parallel_for(0, R, 1, [&](int64_t begin, int64_t end) {
      std::vector<float> best(static_cast<size_t>(C));
      for (int64_t n = begin; n < end; ++n) {
        const RoiGrid g = roi_grid(rp + 5 * n, static_cast<float>(spatial_scale), P);
        const float* map = xp + g.batch * H * W * C;
        for (int64_t ph = 0; ph < P; ++ph) {
          const auto [hs, he] = g.bin_rows(ph, H);
          for (int64_t pw = 0; pw < P; ++pw) {
            const auto [ws, we] = g.bin_cols(pw, W);
            scalar_t* dst = op + ((n * P + ph) * P + pw) * C;
            if (he <= hs || we <= ws) {  // empty bin: 0, as Caffe
              for (int64_t c = 0; c < C; ++c) dst[c] = scalar_t(0);
              continue;
            }
            float* m = best.data();
            const float* first = map + (hs * W + ws) * C;
            for (int64_t c = 0; c < C; ++c) m[c] = first[c];
            for (int64_t h = hs; h < he; ++h)
              for (int64_t w = ws; w < we; ++w) {
                const float* cell = map + (h * W + w) * C;
                // Caffe keeps the first maximum (strict >): for equal values, which one is kept is invisible.
                for (int64_t c = 0; c < C; ++c) m[c] = cell[c] > m[c] ? cell[c] : m[c];
              }
            for (int64_t c = 0; c < C; ++c) dst[c] = static_cast<scalar_t>(m[c]);
          }
        }
      }
    });
  });
  const auto nchw_view = out.permute({0, 3, 1, 2});
  // Keep the caller's layout: a NCHW map gives a NCHW result, a channels-last map a channels-last one.
  return channels_last ? nchw_view : nchw_view.contiguous();
}

}  // namespace bua::detail
