#include "bua/features/prefetch.h"

namespace bua {

ImagePrefetcher::ImagePrefetcher(size_t count, Prepare prepare, int threads, size_t lookahead)
    : count_(count), lookahead_(std::max<size_t>(lookahead, 1)), prepare_(std::move(prepare)) {
  for (int t = 0; t < std::max(threads, 1); ++t) threads_.emplace_back([this] { work(); });
}

ImagePrefetcher::~ImagePrefetcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  space_.notify_all();
  ready_.notify_all();
  for (auto& t : threads_) t.join();
}

void ImagePrefetcher::work() {
  for (;;) {
    size_t i;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      space_.wait(lock, [&] { return stop_ || next_to_claim_ >= count_ || next_to_claim_ < next_to_return_ + lookahead_; });
      if (stop_ || next_to_claim_ >= count_) return;
      i = next_to_claim_++;
    }
    PrefetchedImage item;
    item.index = i;
    try {
      item.image = prepare_(i);
    } catch (const std::exception& e) {
      item.error = e.what();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_.emplace(i, std::move(item));
    }
    ready_.notify_all();
  }
}

bool ImagePrefetcher::next(PrefetchedImage& out) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (next_to_return_ >= count_) return false;
  ready_.wait(lock, [&] { return done_.count(next_to_return_) > 0; });
  auto it = done_.find(next_to_return_);
  out = std::move(it->second);
  done_.erase(it);
  ++next_to_return_;
  lock.unlock();
  space_.notify_all();
  return true;
}

}  // namespace bua
