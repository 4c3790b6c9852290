#include "transport/ssh_server_agent.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "transport/ssh_server_session.hpp"
#include "transport/ssh_server_socket.hpp"

namespace tp::transport {

namespace {
constexpr int k_accepts_per_event = 16;
}

result<std::unique_ptr<agent_forwarder>> agent_forwarder::start(server_session& session,
                                                                const os_user* owner) {
  if (!session.agent_forwarding()) return make_error("the client did not ask for agent forwarding");
  std::unique_ptr<agent_forwarder> a(new agent_forwarder(session));
  std::string tmpl = (std::filesystem::temp_directory_path() / "tp-agent.XXXXXX").string();
  if (!::mkdtemp(tmpl.data()))
    return make_error("cannot create a directory for the agent socket: " +
                      std::string(std::strerror(errno)));
  a->dir_ = tmpl;
  a->path_ = a->dir_ + "/agent." + std::to_string(session.id());
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (a->path_.size() >= sizeof addr.sun_path) return make_error("agent socket path too long");
  std::memcpy(addr.sun_path, a->path_.c_str(), a->path_.size() + 1);
  a->listener_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!a->listener_) return make_error(std::string("socket: ") + std::strerror(errno));
  if (::bind(a->listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(a->listener_.get(), 16) != 0)
    return make_error("cannot listen on " + a->path_ + ": " + std::strerror(errno));
  ::chmod(a->path_.c_str(), 0600);
  // Only the login may talk to the agent: the directory is 0700 and theirs.
  if (owner && (::chown(a->dir_.c_str(), owner->uid, owner->gid) != 0 ||
                ::chown(a->path_.c_str(), owner->uid, owner->gid) != 0))
    return make_error("cannot hand the agent socket to '" + owner->name +
                      "': " + std::strerror(errno));
  agent_forwarder* raw = a.get();
  auto w = session.loop().watch(a->listener_.get(), POLLIN, [raw](short) { raw->on_acceptable(); });
  if (!w) return w.err();
  a->watch_ = *w;
  return a;
}

agent_forwarder::~agent_forwarder() {
  if (watch_) session_.loop().unwatch(watch_);
  listener_.reset();
  if (!path_.empty()) ::unlink(path_.c_str());
  if (!dir_.empty()) ::rmdir(dir_.c_str());
}

void agent_forwarder::on_acceptable() {
  for (int i = 0; i < k_accepts_per_event; ++i) {
    const int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    // A refused channel (session over, client without an agent) just drops the
    // connection: the local agent client sees EOF.
    (void)session_.open_agent_channel(std::make_unique<socket_channel>(unique_fd(fd)));
  }
}

}  // namespace tp::transport
