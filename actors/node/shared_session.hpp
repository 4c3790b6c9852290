// Shared (joinable) interactive sessions on a node: `tsh join <sid>` attaches
// another party to a session in progress. The session's owner channel runs the
// terminal on one reactor loop; each joined party is a channel on any loop.
// Output of the terminal is copied to every party (posted to its loop), and a
// party's keystrokes are posted to the owner's loop and written to the
// terminal, so everyone sees the same screen and may type.
//
// A party that cannot keep up loses output beyond max_party_backlog rather
// than slowing the session down. When the session ends its parties are closed.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "transport/ssh_server_handler.hpp"

namespace tp::transport {
class reactor_loop;
}

namespace tp::actors {

inline constexpr std::size_t max_party_backlog = 4u << 20;

class join_channel;

class shared_session : public std::enable_shared_from_this<shared_session> {
 public:
  // `inject` writes to the terminal; called on `owner_loop` only.
  shared_session(std::string sid, transport::reactor_loop& owner_loop,
                 std::function<void(std::string_view)> inject);

  const std::string& sid() const { return sid_; }

  // Owner loop: terminal output, copied to every party.
  void broadcast(std::string_view data);
  // Owner loop: the session is over; parties are closed, input is dropped.
  void end();

  // Any loop: a party's keystrokes.
  void input(std::string data);
  // Any loop: parties come and go; false once the session ended.
  bool add_party(std::uint64_t id, transport::reactor_loop& loop, std::weak_ptr<join_channel> p);
  void remove_party(std::uint64_t id);

 private:
  struct party {
    transport::reactor_loop* loop;
    std::weak_ptr<join_channel> channel;
  };
  const std::string sid_;
  transport::reactor_loop& owner_loop_;
  std::function<void(std::string_view)> inject_;  // owner loop only; empty once ended
  std::mutex mu_;
  std::map<std::uint64_t, party> parties_;
  bool ended_ = false;
};

// The node's sessions that can be joined, by session ID. Thread-safe.
class session_registry {
 public:
  void add(const std::shared_ptr<shared_session>& s);
  void remove(const std::string& sid);
  std::shared_ptr<shared_session> find(const std::string& sid) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::weak_ptr<shared_session>> sessions_;
};

// A joined party's channel: no process of its own, the shared terminal's
// output, its input to the terminal. `on_leave` runs once when it goes.
class join_channel : public transport::channel_handler,
                     public std::enable_shared_from_this<join_channel> {
 public:
  join_channel(std::shared_ptr<shared_session> s, std::function<void()> on_leave);
  ~join_channel() override;

  // After on_open: registers with the session (false: it already ended).
  bool attach();
  // The channel's loop: output for this party / the session ended.
  void deliver(const std::string& data);
  void session_ended();

  void on_open(transport::server_channel& ch) override;
  std::size_t on_data(std::string_view data) override;
  void on_writable() override;
  void on_close() override;

 private:
  void flush();
  void leave();

  std::shared_ptr<shared_session> session_;
  std::function<void()> on_leave_;
  transport::server_channel* ch_ = nullptr;
  std::uint64_t id_;
  std::string pending_;
  bool ended_ = false;
  bool closed_ = false;
};

}  // namespace tp::actors
