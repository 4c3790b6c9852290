// Plain-text tables as tsh prints them (ls, sessions ls, recordings ls).
#pragma once

#include <string>
#include <vector>

namespace tp::apps::tsh {

// A header, a rule of dashes, then the rows; columns padded to their widest cell.
void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);

// Text from the cluster (labels, commands) with control characters replaced,
// so it cannot drive the terminal.
std::string printable(std::string s);

}  // namespace tp::apps::tsh
