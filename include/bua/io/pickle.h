// The `<name>_imgid2idx.pkl` files of the VQA feature converters (hengyuan-hu/bottom-up-attention-vqa,
// jnhwkim/ban-vqa): a pickled dict {image_id: row}, read with pickle.load. Only the few opcodes of a
// protocol-2 dict of ints and strings are needed, so we write them ourselves rather than embed Python.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace bua {

// Pickle protocol 2 bytes of a dict mapping each id to its row. An id written in canonical decimal ("0",
// "42", "-7"; no leading zeros or '+') that fits int64 becomes a Python int, as the converters' int(image_id);
// any other id stays a str. Rows are the ids' positions in `ids`.
std::string pickle_id_to_index(const std::vector<std::string>& ids);

// `<path without .hdf5/.h5>_imgid2idx.pkl`: where the converters put the map of an .hdf5 feature file.
std::string imgid2idx_path(const std::string& hdf5_path);

// True when `id` is written as a Python int by pickle_id_to_index (sets *value).
bool canonical_int_id(const std::string& id, int64_t* value);

// Walks the opcodes of a pickle (protocols 0-5) and throws bua::Error naming `where` when an opcode's
// length field or argument runs past the end of the bytes, or the bytes end before STOP. Unpicklers allocate what a length says before
// they find the bytes missing: a 3 KB file could make LibTorch's zero-fill gigabytes. Stops quietly at STOP
// or at an opcode it does not know (the unpickler then judges the rest).
void check_pickle_lengths(const std::string& bytes, const std::string& where);

}  // namespace bua
