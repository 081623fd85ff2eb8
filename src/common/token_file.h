// API bearer tokens kept in files: a token on a command line would show in `ps`, and one in
// the environment in /proc/<pid>/environ. Shared by xlbd (which serves it) and xlbctl (which
// sends it). Messages name the file, never its content.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace xlb {

// Tokens shorter than this are guessable; generate one with `head -c 32 /dev/urandom | base64`.
inline constexpr size_t kMinTokenLength = 16;

// Reads the token in `path` (surrounding whitespace, e.g. the final newline, ignored). It must
// be kMinTokenLength to 1024 visible ASCII characters (it travels in an HTTP header). With
// `require_private`, the file must also be a regular file (not a symlink) owned by this user that
// no group or other user may read or write (0600 or 0400). Errors name `field` (the option that
// gave the path).
Result<std::string> read_token_file(const std::string& path, const std::string& field,
                                    bool require_private);

// Equal tokens, in time that depends only on the presented token's length, not on where the
// first difference is (a timing side channel would leak the token byte by byte).
bool tokens_equal(std::string_view expected, std::string_view presented);

}  // namespace xlb
