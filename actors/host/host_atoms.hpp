// Atoms of a host's (node, proxy) actors.
#pragma once

#include <caf/atom.hpp>

namespace tp::actors {

using audit_atom = caf::atom_constant<caf::atom("tp_audit")>;  // (audit_atom, json text)
using label_atom = caf::atom_constant<caf::atom("tp_label")>;  // (label_atom, name, value)

}  // namespace tp::actors
