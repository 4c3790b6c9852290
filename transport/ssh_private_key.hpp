// OpenSSH's private key file format ("openssh-key-v1", PEM-armoured), unencrypted only:
// what `ssh-keygen -N ''` writes and what `ssh -i` / `ssh-keygen -y -f` read.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "messages/result.hpp"
#include "transport/ssh_key.hpp"

namespace tp::transport {

// The file text: "-----BEGIN OPENSSH PRIVATE KEY-----\n...-----END OPENSSH PRIVATE KEY-----\n".
std::string encode_openssh_private_key(const key_pair& key, std::string_view comment = {});

// Parses the file text. Refuses encrypted keys (with a hint how to decrypt them), files
// with more than one key, and keys whose halves do not match. `comment` receives the
// key's comment when given.
result<key_pair> parse_openssh_private_key(std::string_view text, std::string* comment = nullptr);

// File forms: written with mode 0600 (atomically: temp file + rename); reading refuses
// files larger than 64 KiB.
status write_openssh_private_key_file(const std::filesystem::path& path, const key_pair& key,
                                      std::string_view comment = {});
result<key_pair> read_openssh_private_key_file(const std::filesystem::path& path,
                                               std::string* comment = nullptr);

}  // namespace tp::transport
