// Atoms of the auth actors' private protocol (the public API is auth_api.hpp).
#pragma once

#include <caf/atom.hpp>

namespace tp::actors::auth {

using expire_atom = caf::atom_constant<caf::atom("tp_expire")>;    // a join token's time is up
using frame_atom = caf::atom_constant<caf::atom("tp_frame")>;      // a request frame arrived
using tick_atom = caf::atom_constant<caf::atom("tp_tick")>;        // periodic CA rotation work
using flush_atom = caf::atom_constant<caf::atom("tp_flush")>;      // write the waiting heartbeats

}  // namespace tp::actors::auth
