// Base64 as Python's base64.b64encode writes it: standard alphabet (A-Z a-z 0-9 + /), '=' padding, no
// line breaks. The decoder is strict: a character outside the alphabet, a length that is not a multiple
// of 4 or misplaced padding is an error naming `where` and the offset (Python would silently skip some).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bua {

std::string base64_encode(const void* data, size_t size);
inline std::string base64_encode(std::string_view bytes) { return base64_encode(bytes.data(), bytes.size()); }

// Size of the decoded bytes; validates the length and the padding (not the characters).
size_t base64_decoded_size(std::string_view text, const std::string& where);
// Decodes into out[0, out_size); out_size must be base64_decoded_size(text).
void base64_decode_into(std::string_view text, uint8_t* out, size_t out_size, const std::string& where);
std::vector<uint8_t> base64_decode(std::string_view text, const std::string& where);

}  // namespace bua
