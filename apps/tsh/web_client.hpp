// tsh's view of the proxy's web API: the client lives in transport/web_client.hpp
// (the auth service uses it too, to reach trusted clusters).
#pragma once

#include "transport/web_client.hpp"

namespace tp::apps::tsh {

using transport::error_message_of;
using transport::get_json;
using transport::post_json;
using transport::web_endpoint;
using transport::web_request;
using transport::web_response;

}  // namespace tp::apps::tsh
