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

class ImagePrefetcher {
 public:
  using Prepare = std::function<PreparedImage(size_t index)>;
  // Calls prepare(i) for i in [0, count) on `threads` threads, at most `lookahead` images ahead of next().
  ImagePrefetcher(size_t count, Prepare prepare, int threads, size_t lookahead);
  ~ImagePrefetcher();
  ImagePrefetcher(const ImagePrefetcher&) = delete;
  ImagePrefetcher& operator=(const ImagePrefetcher&) = delete;

  // The next image in input order; false when all were handed out.
  bool next(PrefetchedImage& out);

 private:
  void work();
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
