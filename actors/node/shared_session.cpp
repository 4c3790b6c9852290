#include "actors/node/shared_session.hpp"

#include <atomic>

#include "transport/ssh_reactor_loop.hpp"
#include "transport/ssh_server_channel.hpp"

namespace tp::actors {

using transport::reactor_loop;

namespace {
std::atomic<std::uint64_t> next_party_id{1};
}

shared_session::shared_session(std::string sid, reactor_loop& owner_loop,
                               std::function<void(std::string_view)> inject)
    : sid_(std::move(sid)), owner_loop_(owner_loop), inject_(std::move(inject)) {}

void shared_session::broadcast(std::string_view data) {
  std::lock_guard<std::mutex> lock(mu_);
  if (parties_.empty()) return;
  auto shared = std::make_shared<const std::string>(data);
  for (auto& [id, p] : parties_) {
    p.loop->post([w = p.channel, shared] {
      if (auto c = w.lock()) c->deliver(*shared);
    });
  }
}

void shared_session::end() {
  std::map<std::uint64_t, party> parties;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ended_ = true;
    parties.swap(parties_);
  }
  inject_ = nullptr;
  for (auto& [id, p] : parties) {
    p.loop->post([w = p.channel] {
      if (auto c = w.lock()) c->session_ended();
    });
  }
}

void shared_session::input(std::string data) {
  owner_loop_.post([self = shared_from_this(), data = std::move(data)] {
    if (self->inject_) self->inject_(data);
  });
}

bool shared_session::add_party(std::uint64_t id, reactor_loop& loop,
                               std::weak_ptr<join_channel> p) {
  std::lock_guard<std::mutex> lock(mu_);
  if (ended_) return false;
  parties_[id] = party{&loop, std::move(p)};
  return true;
}

void shared_session::remove_party(std::uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  parties_.erase(id);
}

void session_registry::add(const std::shared_ptr<shared_session>& s) {
  std::lock_guard<std::mutex> lock(mu_);
  // Forget sessions that ended without saying so (their owner is gone).
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = it->second.expired() ? sessions_.erase(it) : std::next(it);
  }
  sessions_[s->sid()] = s;
}

void session_registry::remove(const std::string& sid) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(sid);
}

std::shared_ptr<shared_session> session_registry::find(const std::string& sid) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(sid);
  return it == sessions_.end() ? nullptr : it->second.lock();
}

join_channel::join_channel(std::shared_ptr<shared_session> s, std::function<void()> on_leave)
    : session_(std::move(s)), on_leave_(std::move(on_leave)), id_(next_party_id++) {}

join_channel::~join_channel() {
  leave();
}

void join_channel::on_open(transport::server_channel& ch) {
  ch_ = &ch;
}

bool join_channel::attach() {
  if (ch_ == nullptr) return false;
  return session_->add_party(id_, ch_->loop(), weak_from_this());
}

void join_channel::deliver(const std::string& data) {
  if (closed_ || ended_) return;
  if (pending_.size() + data.size() > max_party_backlog) return;  // too slow: drop
  pending_ += data;
  flush();
}

void join_channel::session_ended() {
  if (closed_ || ended_) return;
  ended_ = true;
  flush();
}

void join_channel::flush() {
  if (closed_ || ch_ == nullptr) return;
  while (!pending_.empty()) {
    const auto n = ch_->write(pending_);
    if (n == 0) return;  // on_writable follows
    pending_.erase(0, n);
  }
  if (ended_) {
    closed_ = true;
    ch_->send_exit_status(0);
    ch_->send_eof();
    ch_->close();
    leave();
  }
}

std::size_t join_channel::on_data(std::string_view data) {
  if (!ended_ && !data.empty()) session_->input(std::string(data));
  return data.size();
}

void join_channel::on_writable() {
  flush();
}

void join_channel::on_close() {
  closed_ = true;
  ch_ = nullptr;
  leave();
}

void join_channel::leave() {
  if (!on_leave_) return;
  session_->remove_party(id_);
  auto f = std::move(on_leave_);
  on_leave_ = nullptr;
  f();
}

}  // namespace tp::actors
