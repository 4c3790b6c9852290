// One SSH channel of a server session, as its channel_handler sees it: write output
// within the client's window, EOF, exit status, close. Loop thread only.
//
// Input is pulled from libssh after the poll (libssh keeps unread data and does not grow
// the client's window meanwhile), so a slow consumer throttles the client instead of
// filling memory; output is bounded by the client's window, so a slow client throttles
// the producer (stop reading its fd while writable() is 0, resume on on_writable()).
#pragma once

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "transport/ssh_server_handler.hpp"

namespace tp::transport {

class reactor_loop;

class server_channel {
 public:
  server_channel(server_session& session, ssh_channel channel, channel_kind kind,
                 std::unique_ptr<channel_handler> handler, bool opening);
  ~server_channel();  // the session frees the libssh channel after on_close
  server_channel(const server_channel&) = delete;
  server_channel& operator=(const server_channel&) = delete;

  channel_kind kind() const { return kind_; }
  std::uint32_t id() const { return id_; }  // unique within the session, for logs
  server_session& session() { return session_; }
  reactor_loop& loop();

  // How many bytes write() would take now: the client's window, 0 once EOF or close
  // was sent, while the channel is opening, or inside libssh's dispatch. A 0 while the
  // channel is writable otherwise arranges for on_writable().
  std::size_t writable();
  // Write up to writable() bytes; returns how many were taken. On a short write,
  // on_writable() follows when the window opens.
  std::size_t write(std::string_view data);
  std::size_t write_stderr(std::string_view data);  // extended data (stderr)

  void send_eof();
  // session channels only; send before close().
  void send_exit_status(int code);
  void send_exit_signal(std::string_view signal_name, bool core_dumped, std::string_view message);
  // Sends EOF (if not yet) and CLOSE. on_close() follows once the client closes too.
  void close();
  // Continues on_data() delivery after the handler took less than offered.
  void resume_reading();

  bool eof_sent() const { return eof_sent_; }
  bool close_sent() const { return close_sent_; }
  bool remote_eof() const { return remote_eof_; }

  // ---- for server_session ----
  ssh_channel native() const { return channel_; }
  // After the poll: deferred operations, opening, input delivery, EOF, writability.
  void process();
  bool finished() const { return finished_; }
  void finish() { finished_ = true; }
  bool needs_polling() const;
  channel_handler& handler() { return *handler_; }
  // Opening failed or the session ends before the handler saw the channel open.
  bool opened() const { return !opening_; }
  // How an opening channel is opened (repeated until it no longer returns SSH_AGAIN);
  // unset: an agent channel.
  void set_opener(std::function<int(ssh_channel)> opener) { opener_ = std::move(opener); }

 private:
  struct guard;
  static int on_data_cb(ssh_session, ssh_channel, void* data, uint32_t len, int is_stderr,
                        void* ud);
  static void on_eof_cb(ssh_session, ssh_channel, void* ud);
  static void on_close_cb(ssh_session, ssh_channel, void* ud);
  static void on_signal_cb(ssh_session, ssh_channel, const char* signal, void* ud);
  static int on_pty_cb(ssh_session, ssh_channel, const char* term, int cols, int rows, int px_w,
                       int px_h, void* ud);
  static int on_shell_cb(ssh_session, ssh_channel, void* ud);
  static int on_exec_cb(ssh_session, ssh_channel, const char* command, void* ud);
  static int on_env_cb(ssh_session, ssh_channel, const char* name, const char* value, void* ud);
  static int on_subsystem_cb(ssh_session, ssh_channel, const char* name, void* ud);
  static int on_window_change_cb(ssh_session, ssh_channel, int cols, int rows, int px_w, int px_h,
                                 void* ud);
  static void on_agent_req_cb(ssh_session, ssh_channel, void* ud);

  bool can_write() const;
  std::size_t write_impl(std::string_view data, bool is_stderr);
  void defer(std::function<void()> op);
  void do_close();
  void deliver_input();
  bool start_program();  // shell/exec/subsystem: only one per channel

  server_session& session_;
  ssh_channel channel_;
  const channel_kind kind_;
  const std::uint32_t id_;
  std::unique_ptr<channel_handler> handler_;
  ssh_channel_callbacks_struct callbacks_{};

  bool opening_;
  std::function<int(ssh_channel)> opener_;
  bool finished_ = false;
  bool program_started_ = false;
  unsigned env_count_ = 0;
  // Input: libssh's buffered byte counts (from the data callback) and what the handler
  // left over.
  std::size_t in_buffered_ = 0;
  std::size_t err_buffered_ = 0;
  std::string stash_;
  bool paused_ = false;
  bool remote_eof_ = false;
  bool eof_delivered_ = false;
  bool remote_closed_ = false;
  // Output.
  bool want_writable_ = false;
  bool eof_sent_ = false;
  bool close_sent_ = false;
  bool exit_sent_ = false;
  std::vector<std::function<void()>> deferred_;
  std::vector<std::string> signals_;
};

}  // namespace tp::transport
