// Moves bytes between a server_channel and file descriptors -- a child's pipes or pty
// master, or a TCP socket -- on the channel's loop, with bounded buffers both ways:
//  * client -> fd: what the fd does not take at once is buffered up to input_buffer;
//    beyond that on_data() takes less, which pauses the channel (and so the client).
//  * fd -> client: read only while the client's window has room; a full window stops
//    the reads (POLLIN off) until on_writable().
//
// A channel_handler owns a pump and forwards on_data/on_eof/on_writable to it. The fds
// are not owned; they must stay open until the pump is destroyed or stop()ped.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "transport/ssh_reactor_loop.hpp"
#include "transport/ssh_server_channel.hpp"

namespace tp::transport {

class channel_pump {
 public:
  struct fds {
    int input = -1;   // client data goes here (child stdin, pty master, socket)
    int output = -1;  // read and sent as channel data (child stdout, pty master, socket)
    int error = -1;   // read and sent as extended data (child stderr)
  };
  struct options {
    std::size_t input_buffer = 256 * 1024;
    // Largest single read from an output fd (a pty master's EIO, once its terminal is
    // gone, counts as end of output like EOF).
    std::size_t chunk = 64 * 1024;
    // Sees every chunk sent to the client (session recording); loop thread.
    std::function<void(std::string_view data, bool is_stderr)> tap;
  };
  struct events {
    // The client sent EOF and all its data reached the input fd (or the fd failed):
    // close the input (child stdin) or shutdown(SHUT_WR) the socket.
    std::function<void()> on_input_done;
    // Every output fd reached EOF or failed: time for exit status, EOF and close.
    std::function<void()> on_output_done;
  };

  channel_pump(server_channel& ch, fds f, options o, events e);
  ~channel_pump();
  channel_pump(const channel_pump&) = delete;
  channel_pump& operator=(const channel_pump&) = delete;

  // Starts watching the fds. Separate from construction so the owner can finish
  // setting up before callbacks may run.
  status start();

  // Forwarded from the channel_handler.
  std::size_t on_data(std::string_view data);
  void on_eof();
  void on_writable();

  bool output_done() const { return output_reported_; }
  bool input_done() const { return input_done_; }
  // Stops all watching (the owner is about to close the fds).
  void stop();

 private:
  struct source {
    int fd = -1;
    bool is_stderr = false;
    bool done = true;
    std::string pending;  // read but not yet taken by the channel
  };

  void update_watches();
  void on_fd(int fd, short revents);
  void read_source(source& s);
  bool flush_pending(source& s);
  void flush_input();
  void finish_input();
  void check_output_done();
  void fire();  // runs the owner's callbacks; last thing in every entry point

  server_channel& ch_;
  reactor_loop& loop_;
  fds fds_;
  options opts_;
  events events_;
  source out_, err_;
  std::string in_buf_;
  bool in_eof_ = false;
  bool input_done_ = false;
  bool output_reported_ = false;
  bool notify_input_ = false;
  bool notify_output_ = false;
  bool window_blocked_ = false;
  bool stopped_ = false;
  bool started_ = false;
  // One watch per distinct fd (input and output may be the same fd).
  std::map<int, reactor_loop::watch_id> watches_;
};

}  // namespace tp::transport
