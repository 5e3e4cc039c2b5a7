#include "bua/features/prefetch.h"

#include "bua/util/error.h"
#include "bua/util/error_text.h"

namespace bua {

void check_decode_threads(int threads) {
  if (threads < 1 || threads > kMaxDecodeThreads)
    fail("--decode-threads", "must be between 1 and " + std::to_string(kMaxDecodeThreads) + ", got " +
                                 std::to_string(threads));
}

ImagePrefetcher::ImagePrefetcher(size_t count, Prepare prepare, int threads, size_t lookahead)
    : count_(count), lookahead_(std::max<size_t>(lookahead, 1)), prepare_(std::move(prepare)) {
  check_decode_threads(threads);
  try {
    for (int t = 0; t < threads; ++t) threads_.emplace_back([this] { work(); });
  } catch (const std::exception& e) {
    // The destructor does not run for a constructor that throws: join what started here.
    stop_and_join();
    fail("--decode-threads", "cannot start " + std::to_string(threads) + " decoding threads (" +
                                 std::string(e.what()) + "); use fewer");
  }
}

ImagePrefetcher::~ImagePrefetcher() { stop_and_join(); }

void ImagePrefetcher::stop_and_join() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  space_.notify_all();
  ready_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
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
      item.error = one_line_error(e);  // goes to the log and failures.txt: no LibTorch trace, one line
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
