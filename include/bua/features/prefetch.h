// Decodes and prepares images on a pool of threads ahead of the network, handing them out in input order.
// A file that fails to decode comes out as an error message instead of an image, so the run can list and skip it.
#pragma once
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bua/image/image.h"

namespace bua {

struct PrefetchedImage {
  size_t index = 0;
  std::optional<PreparedImage> image;  // empty on failure
  std::string error;                   // why it failed
};

// More decoding threads than this only add memory (each holds images in flight) and can exhaust the
// process's thread limit; --decode-threads is refused above it.
constexpr int kMaxDecodeThreads = 64;

// Throws bua::Error naming --decode-threads unless 1 <= threads <= kMaxDecodeThreads.
void check_decode_threads(int threads);

class ImagePrefetcher {
 public:
  using Prepare = std::function<PreparedImage(size_t index)>;
  // Calls prepare(i) for i in [0, count) on `threads` threads, at most `lookahead` images ahead of next().
  // Throws bua::Error (with no thread left running) when `threads` is out of range or a thread cannot start.
  ImagePrefetcher(size_t count, Prepare prepare, int threads, size_t lookahead);
  ~ImagePrefetcher();
  ImagePrefetcher(const ImagePrefetcher&) = delete;
  ImagePrefetcher& operator=(const ImagePrefetcher&) = delete;

  // The next image in input order; false when all were handed out.
  bool next(PrefetchedImage& out);

 private:
  void work();
  void stop_and_join();  // every started thread, so none is destroyed joinable (std::terminate)
  size_t count_, lookahead_;
  Prepare prepare_;
  std::mutex mutex_;
  std::condition_variable ready_, space_;
  size_t next_to_claim_ = 0, next_to_return_ = 0;
  std::map<size_t, PrefetchedImage> done_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace bua
