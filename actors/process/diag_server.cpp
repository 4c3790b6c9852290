#include "actors/process/diag_server.hpp"

#include <dirent.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "actors/metrics/registry.hpp"
#include "actors/proxy/web_server.hpp"
#include "messages/version.hpp"

namespace tp::actors {
namespace {

const auto process_start = std::chrono::system_clock::now();

std::string gauge(const std::string& name, const std::string& type, const std::string& help,
                  double v) {
  std::ostringstream out;
  out.precision(15);
  out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n"
      << name << " " << v << "\n";
  return out.str();
}

}  // namespace

std::string process_metrics_text() {
  std::string out;
  // /proc/self/stat: utime and stime are fields 14 and 15, after the "(comm)" field.
  std::ifstream stat("/proc/self/stat");
  std::string line;
  if (std::getline(stat, line)) {
    const auto close = line.rfind(')');
    std::istringstream rest(close == std::string::npos ? "" : line.substr(close + 2));
    std::vector<std::string> f;
    for (std::string w; rest >> w;) f.push_back(w);
    // rest starts at field 3 (state): utime is index 11, stime 12.
    if (f.size() > 12) {
      const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
      const double cpu = (std::stod(f[11]) + std::stod(f[12])) / ticks;
      out +=
          gauge("process_cpu_seconds_total", "counter", "User and system CPU time spent, s.", cpu);
    }
  }
  std::ifstream statm("/proc/self/statm");
  double pages_total = 0, pages_rss = 0;
  if (statm >> pages_total >> pages_rss) {
    const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
    out += gauge("process_resident_memory_bytes", "gauge", "Resident memory size, bytes.",
                 pages_rss * page);
    out += gauge("process_virtual_memory_bytes", "gauge", "Virtual memory size, bytes.",
                 pages_total * page);
  }
  if (DIR* d = ::opendir("/proc/self/fd")) {
    double n = 0;
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') ++n;
    }
    ::closedir(d);
    out += gauge("process_open_fds", "gauge", "Open file descriptors.", n - 1);  // minus ours
  }
  out += gauge("process_start_time_seconds", "gauge", "Start time since the epoch, s.",
               std::chrono::duration<double>(process_start.time_since_epoch()).count());
  return out;
}

tp::result<std::unique_ptr<diag_server>> diag_server::start(const config::address& addr,
                                                            std::vector<std::string> roles) {
  std::unique_ptr<diag_server> d(new diag_server());
  auto ready = d->ready_;
  web_server_options o;
  o.bind_address = addr.host;
  o.port = addr.port;
  o.io_threads = 1;
  o.worker_threads = 1;
  o.max_body_bytes = 1024;
  auto router = [ready, roles](const web_request& r) -> web_response {
    if (r.method != "GET") return {405, "application/json", R"({"error":"use GET"})"};
    if (r.target == "/healthz") return {200, "application/json", R"({"status":"ok"})"};
    if (r.target == "/readyz") {
      if (ready->load()) return {200, "application/json", R"({"status":"ok"})"};
      return {503, "application/json", R"({"status":"starting"})"};
    }
    if (r.target == "/metrics") {
      std::string body = process_metrics_text();
      body +=
          "# HELP teleport_build_info The version of this teleport.\n"
          "# TYPE teleport_build_info gauge\n"
          "teleport_build_info{version=\"" +
          metrics::escape_label(std::string(tp::build_version())) + "\"} 1\n";
      body +=
          "# HELP teleport_roles The roles this process serves.\n"
          "# TYPE teleport_roles gauge\n";
      for (const auto& role : roles) {
        body += "teleport_roles{role=\"" + metrics::escape_label(role) + "\"} 1\n";
      }
      body +=
          "# HELP teleport_ready 1 once every role is serving.\n"
          "# TYPE teleport_ready gauge\n"
          "teleport_ready " +
          std::string(ready->load() ? "1" : "0") + "\n";
      body += metrics::global().render();
      return {200, "text/plain; version=0.0.4; charset=utf-8", std::move(body)};
    }
    return {404, "application/json", R"({"error":"not found: /metrics, /healthz, /readyz"})"};
  };
  auto web = web_server::start(std::move(o), std::move(router));
  if (!web) return make_error("--diag-addr " + addr.to_string() + ": " + web.message());
  d->web_ = std::move(*web);
  return d;
}

diag_server::~diag_server() {
  if (web_) web_->stop();
}

std::uint16_t diag_server::port() const {
  return web_->port();
}

}  // namespace tp::actors
