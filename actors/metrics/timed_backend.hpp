// A backend that times every operation of the one it wraps into the metrics
// registry: teleport_backend_op_seconds{backend, op} (histogram) and
// teleport_backend_failures_total{backend, op} for failures of the store itself
// (io, bad_parameter; not_found and the like are answers, not failures).
#pragma once

#include <memory>
#include <string>

#include "persistence/backend.hpp"

namespace tp::actors::metrics {

std::shared_ptr<persistence::backend> timed(std::shared_ptr<persistence::backend> inner,
                                            const std::string& backend_name);

}  // namespace tp::actors::metrics
