#include "bench/scale/fleet.hpp"

#include <netinet/in.h>
#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <atomic>
#include <deque>
#include <future>
#include <mutex>
#include <random>
#include <thread>

#include "actors/host/heartbeat.hpp"
#include "messages/api_codec.hpp"
#include "transport/frame_codec.hpp"
#include "transport/tls_context.hpp"
#include "transport/x509_cert.hpp"

namespace tp::bench {
namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using tls_stream = ssl::stream<tcp::socket>;
using steady = std::chrono::steady_clock;

constexpr std::uint64_t heartbeat_id = 1;
constexpr std::uint64_t rotation_id = 2;
constexpr std::size_t read_chunk = 4096;
constexpr std::size_t max_problem_kinds = 8;
constexpr auto connect_timeout = std::chrono::seconds{15};

enum class phase { down, connecting, idle, heartbeat, rotation };

struct shard;

struct sim_node {
  shard* home = nullptr;
  std::string host_id;
  std::string cert_pem;
  net::ip::address_v4 source;
  std::vector<char> heartbeat;  // the encoded frame
  std::unique_ptr<tls_stream> stream;
  std::unique_ptr<tls_stream> retired;  // the last connection's, freed at the next connect
  transport::frame_decoder decoder;
  std::unique_ptr<char[]> buf;
  std::unique_ptr<net::steady_timer> timer;
  phase ph = phase::down;
  steady::time_point sent_at;
  unsigned failures = 0;
  bool good = false;             // a heartbeat succeeded on this connection
  std::uint64_t generation = 0;  // bumped per connection: handlers of an older one give up
  std::uint64_t timer_seq = 0;   // bumped per timer arm: a stale expiry gives up
};

// Counters of the measurement window, touched on the shard's thread only.
struct window_counters {
  bool recording = false;
  window_stats s;
  void problem(const std::string& why) {
    if (!recording) return;
    auto it = s.problems.find(why);
    if (it != s.problems.end()) {
      ++it->second;
    } else if (s.problems.size() < max_problem_kinds) {
      s.problems.emplace(why, 1);
    }
  }
};

struct shard {
  shard(const fleet_options& o, ssl::context& c, EVP_PKEY* k, const messages::node& b,
        std::shared_ptr<const std::vector<char>> rot)
      : opts(o),
        ctx(c),
        key(k),
        base(b),
        rotation_frame(std::move(rot)),
        work(net::make_work_guard(ioc)),
        sweep(ioc),
        pump_timer(ioc),
        rng(std::random_device{}()) {}

  net::io_context ioc;  // first: destroyed last
  const fleet_options& opts;
  ssl::context& ctx;
  EVP_PKEY* key;
  const messages::node& base;
  std::shared_ptr<const std::vector<char>> rotation_frame;
  net::executor_work_guard<net::io_context::executor_type> work;
  net::steady_timer sweep;
  net::steady_timer pump_timer;  // the next connect slot of the ramp
  bool pump_armed = false;
  steady::time_point next_slot{};
  std::mt19937 rng;
  bool stopping = false;
  std::vector<std::unique_ptr<sim_node>> nodes;
  std::deque<sim_node*> connect_queue;
  std::size_t connecting = 0;
  std::size_t unanswered = 0;  // connected, first heartbeat not answered yet
  window_counters window;

  std::atomic<std::size_t> total{0}, connected{0}, established{0}, connect_failures{0}, drops{0};
  mutable std::mutex error_mu;
  std::string last_connect_error;
  std::string last_drop;
  std::thread thread;
};

void start_connect(sim_node* n);
void start_read(sim_node* n);
void tick(sim_node* n);

void pump(shard& s) {
  const double rate = s.opts.connects_per_second / std::max(1u, s.opts.threads);
  const auto step = std::chrono::duration_cast<steady::duration>(
      std::chrono::duration<double>(rate > 0 ? 1.0 / rate : 0.0));
  // New nodes wait while max_connecting others have not had their first heartbeat
  // answered: the ramp slows down to what auth takes.
  while (!s.stopping && s.connecting + s.unanswered < s.opts.max_connecting &&
         !s.connect_queue.empty()) {
    const auto now = steady::now();
    if (rate > 0) {
      if (now < s.next_slot) {
        if (!s.pump_armed) {
          s.pump_armed = true;
          s.pump_timer.expires_at(s.next_slot);
          s.pump_timer.async_wait([&s](const boost::system::error_code& ec) {
            s.pump_armed = false;
            if (!ec && !s.stopping) pump(s);
          });
        }
        return;
      }
      s.next_slot = std::max(s.next_slot, now - step) + step;
    }
    sim_node* n = s.connect_queue.front();
    s.connect_queue.pop_front();
    ++s.connecting;
    start_connect(n);
  }
}

// Arms the node's timer; `fn` runs on expiry unless the timer was armed again.
template <class Fn>
void arm(sim_node* n, std::chrono::milliseconds after, Fn fn) {
  const auto seq = ++n->timer_seq;
  n->timer->expires_after(after);
  n->timer->async_wait([n, seq, fn](const boost::system::error_code& ec) {
    if (ec || n->home->stopping || seq != n->timer_seq) return;
    fn(n);
  });
}

void disarm(sim_node* n) {
  ++n->timer_seq;
  n->timer->cancel();
}

// The connection is given up: counted, closed, made again after the backoff.
void fail(sim_node* n, const std::string& why) {
  shard& s = *n->home;
  const bool was_up = n->ph != phase::connecting && n->ph != phase::down;
  if (n->ph == phase::connecting) {
    --s.connecting;
    ++s.connect_failures;
    std::lock_guard<std::mutex> lock(s.error_mu);
    s.last_connect_error = why;
  }
  if (was_up) {
    --s.connected;
    if (!n->good) --s.unanswered;
    if (s.window.recording) ++s.window.s.drops;
    ++s.drops;
    std::lock_guard<std::mutex> lock(s.error_mu);
    s.last_drop = why;
  }
  if (n->good) --s.established;
  n->good = false;
  s.window.problem(why);
  ++n->generation;
  n->ph = phase::down;
  if (n->stream) {
    boost::system::error_code ignored;
    n->stream->lowest_layer().close(ignored);
    n->retired = std::move(n->stream);  // its aborted handlers still refer to it
  }
  n->buf.reset();
  disarm(n);
  if (s.stopping) return;
  std::uniform_real_distribution<double> jitter(0.0, 1.0);
  arm(n, actors::reconnect_delay(++n->failures, jitter(s.rng)), [](sim_node* m) {
    m->home->connect_queue.push_back(m);
    pump(*m->home);
  });
  pump(s);
}

void connected(sim_node* n) {
  shard& s = *n->home;
  --s.connecting;
  ++s.connected;
  ++s.unanswered;
  n->ph = phase::idle;
  n->decoder = transport::frame_decoder();
  n->buf.reset(new char[read_chunk]);
  start_read(n);
  tick(n);  // at once, as the auth link does; the ramp spreads the nodes over the interval
}

void start_connect(sim_node* n) {
  shard& s = *n->home;
  n->retired.reset();
  n->ph = phase::connecting;
  const auto gen = ++n->generation;
  n->stream = std::make_unique<tls_stream>(s.ioc, s.ctx);
  SSL* ssl_handle = n->stream->native_handle();
  auto cert = transport::x509_certificate::from_pem(n->cert_pem);
  if (!cert || SSL_use_certificate(ssl_handle, cert->native()) != 1 ||
      SSL_use_PrivateKey(ssl_handle, s.key) != 1) {
    return fail(n, "cannot load the node's TLS certificate");
  }
  auto& sock = n->stream->lowest_layer();
  boost::system::error_code ec;
  sock.open(tcp::v4(), ec);
  if (!ec) {
    // The port is chosen at connect(): each source address has its own ephemeral range.
    const int one = 1;
    ::setsockopt(sock.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sock.bind(tcp::endpoint(n->source, 0), ec);
  }
  if (ec) return fail(n, "socket: " + ec.message());
  arm(n, connect_timeout, [](sim_node* m) { fail(m, "connect + TLS handshake timed out"); });
  const tcp::endpoint target(net::ip::make_address_v4(s.opts.host), s.opts.port);
  sock.async_connect(target, [n, gen](const boost::system::error_code& ec) {
    if (n->home->stopping || gen != n->generation) return;
    if (ec) return fail(n, "connect: " + ec.message());
    n->stream->async_handshake(ssl::stream_base::client,
                               [n, gen](const boost::system::error_code& ec) {
                                 if (n->home->stopping || gen != n->generation) return;
                                 if (ec) return fail(n, "TLS handshake: " + ec.message());
                                 disarm(n);
                                 connected(n);
                               });
  });
}

void send(sim_node* n, const std::vector<char>& bytes, phase next) {
  n->ph = next;
  n->sent_at = steady::now();
  const auto gen = n->generation;
  net::async_write(*n->stream, net::buffer(bytes),
                   [n, gen](const boost::system::error_code& ec, std::size_t) {
                     if (n->home->stopping || gen != n->generation) return;
                     if (ec) fail(n, "write: " + ec.message());
                   });
}

void tick(sim_node* n) {
  if (n->ph != phase::idle) return;
  send(n, n->heartbeat, phase::heartbeat);
}

void on_reply(sim_node* n, const transport::frame& f) {
  shard& s = *n->home;
  auto& w = s.window;
  if (f.type == transport::frame_type::error) {
    std::string why = "auth closed the connection: ";
    why.append(f.text());
    return fail(n, why);
  }
  if (f.type != transport::frame_type::message) return;  // pong
  const double ms = std::chrono::duration<double, std::milli>(steady::now() - n->sent_at).count();
  auto env = messages::decode_reply(f.text());
  if (!env) return fail(n, "bad reply: " + env.message());
  const auto* refusal = std::get_if<messages::api_error>(&env->body);
  if (n->ph == phase::heartbeat && env->id == heartbeat_id) {
    if (refusal) {
      if (w.recording) ++w.s.heartbeats_refused;
      w.problem("heartbeat refused: " + refusal->message);
    } else {
      if (w.recording) {
        ++w.s.heartbeats_ok;
        w.s.heartbeat_ms.push_back(static_cast<float>(ms));
      }
      if (!n->good) {
        ++s.established;
        --s.unanswered;
        pump(s);
      }
      n->good = true;
      n->failures = 0;
      if (s.opts.follow_rotation) return send(n, *s.rotation_frame, phase::rotation);
    }
  } else if (n->ph == phase::rotation && env->id == rotation_id) {
    if (refusal) {
      w.problem("rotation_status refused: " + refusal->message);
    } else if (w.recording) {
      ++w.s.rotations_ok;
      w.s.rotation_ms_total += ms;
    }
  } else {
    return;  // not the reply awaited
  }
  n->ph = phase::idle;
  arm(n, s.opts.interval, tick);
}

void start_read(sim_node* n) {
  const auto gen = n->generation;
  n->stream->async_read_some(
      net::buffer(n->buf.get(), read_chunk),
      [n, gen](const boost::system::error_code& ec, std::size_t got) {
        if (n->home->stopping || gen != n->generation) return;
        if (got > 0) {
          if (auto st = n->decoder.feed(std::string_view(n->buf.get(), got)); !st) {
            return fail(n, "bad framing: " + st.message());
          }
          while (auto f = n->decoder.next()) {
            on_reply(n, *f);
            if (gen != n->generation) return;  // the reply ended this connection
          }
        }
        if (ec) {
          const bool closed = ec == net::error::eof || ec == ssl::error::stream_truncated;
          return fail(n,
                      closed ? std::string("auth closed the connection") : "read: " + ec.message());
        }
        start_read(n);
      });
}

// Calls without a reply within call_timeout end their connection, like the auth link's.
void sweep(shard& s) {
  s.sweep.expires_after(std::chrono::seconds{1});
  s.sweep.async_wait([&s](const boost::system::error_code& ec) {
    if (ec || s.stopping) return;
    const auto late = steady::now() - s.opts.call_timeout;
    for (auto& n : s.nodes) {
      if ((n->ph == phase::heartbeat || n->ph == phase::rotation) && n->sent_at < late) {
        if (s.window.recording) ++s.window.s.timeouts;
        fail(n.get(),
             n->ph == phase::heartbeat ? "heartbeat timed out" : "rotation_status timed out");
      }
    }
    sweep(s);
  });
}

}  // namespace

struct fleet::impl {
  fleet_options opts;
  transport::x509_private_key key;
  messages::node base;
  transport::detail::ssl_context_ptr ctx;
  std::vector<std::unique_ptr<shard>> shards;
  std::size_t next_shard = 0;

  ~impl() {
    for (auto& s : shards) {
      net::post(s->ioc, [sh = s.get()] {
        sh->stopping = true;
        sh->sweep.cancel();
        sh->pump_timer.cancel();
        for (auto& n : sh->nodes) {
          if (n->stream) {
            boost::system::error_code ignored;
            n->stream->lowest_layer().close(ignored);
          }
          n->timer->cancel();
        }
      });
      s->work.reset();  // run() returns once the aborted operations are done
    }
    for (auto& s : shards) {
      if (s->thread.joinable()) s->thread.join();
    }
  }

  // Runs `fn` on every shard's thread and waits for it.
  template <class Fn>
  void on_each(Fn fn) {
    std::vector<std::future<void>> done;
    for (auto& s : shards) {
      auto p = std::make_shared<std::promise<void>>();
      done.push_back(p->get_future());
      net::post(s->ioc, [p, sh = s.get(), fn] {
        fn(*sh);
        p->set_value();
      });
    }
    for (auto& d : done) d.wait();
  }
};

fleet::fleet(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
fleet::~fleet() = default;

tp::result<std::unique_ptr<fleet>> fleet::create(const fleet_options& options,
                                                 const transport::x509_private_key& tls_key,
                                                 const std::string& tls_ca_pem,
                                                 const messages::node& base) {
  auto p = std::make_unique<impl>();
  p->opts = options;
  p->key = tls_key;
  p->base = base;
  auto ctx = transport::detail::make_client_context(std::nullopt);
  if (!ctx) return ctx.err();
  p->ctx = std::move(*ctx);
  SSL_CTX* c = p->ctx->native_handle();
  SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);  // idle connections keep no buffers
  auto cas = transport::x509_certificate::chain_from_pem(tls_ca_pem);
  if (!cas) return tp::make_error("the cluster's TLS CA: " + cas.message());
  for (const auto& ca : *cas) {
    if (X509_STORE_add_cert(SSL_CTX_get_cert_store(c), ca.native()) != 1) {
      return tp::make_error("cannot trust the cluster's TLS CA");
    }
  }
  const auto rotation = messages::encode_request(rotation_id, messages::rotation_status_request{});
  auto rot = transport::encode_frame(transport::frame::message({rotation.data(), rotation.size()}));
  if (!rot) return rot.err();
  auto rotation_frame = std::make_shared<const std::vector<char>>(std::move(*rot));
  for (unsigned i = 0; i < std::max(1u, options.threads); ++i) {
    auto s = std::make_unique<shard>(p->opts, *p->ctx, p->key.native(), p->base, rotation_frame);
    sweep(*s);
    s->thread = std::thread([sh = s.get()] { sh->ioc.run(); });
    p->shards.push_back(std::move(s));
  }
  return std::unique_ptr<fleet>(new fleet(std::move(p)));
}

void fleet::add(std::vector<joined_node> nodes) {
  std::vector<std::vector<joined_node>> parts(impl_->shards.size());
  for (auto& n : nodes) {
    parts[impl_->next_shard].push_back(std::move(n));
    impl_->next_shard = (impl_->next_shard + 1) % impl_->shards.size();
  }
  for (std::size_t i = 0; i < parts.size(); ++i) {
    shard* s = impl_->shards[i].get();
    s->total += parts[i].size();
    auto part = std::make_shared<std::vector<joined_node>>(std::move(parts[i]));
    net::post(s->ioc, [s, part] {
      for (auto& j : *part) {
        auto n = std::make_unique<sim_node>();
        n->home = s;
        n->host_id = j.host_id;
        n->cert_pem = std::move(j.tls_cert_pem);
        n->source = net::ip::make_address_v4(j.source_ip);
        n->timer = std::make_unique<net::steady_timer>(s->ioc);
        messages::node rec = s->base;
        rec.meta.name = j.host_id;
        rec.spec.hostname = j.nodename;
        rec.spec.addr = j.source_ip + ":3022";
        const auto payload = messages::encode_request(
            heartbeat_id,
            messages::heartbeat_request{std::move(rec), "node", actors::heartbeat_ttl.count()});
        if (auto f = transport::encode_frame(
                transport::frame::message({payload.data(), payload.size()}))) {
          n->heartbeat = std::move(*f);
        }
        s->connect_queue.push_back(n.get());
        s->nodes.push_back(std::move(n));
      }
      pump(*s);
    });
  }
}

fleet_status fleet::status() const {
  fleet_status st;
  for (const auto& s : impl_->shards) {
    st.nodes += s->total;
    st.connected += s->connected;
    st.established += s->established;
    st.connect_failures += s->connect_failures;
    std::lock_guard<std::mutex> lock(s->error_mu);
    if (!s->last_connect_error.empty()) st.last_connect_error = s->last_connect_error;
    st.drops += s->drops;
    if (!s->last_drop.empty()) st.last_drop = s->last_drop;
  }
  return st;
}

void fleet::begin_window() {
  impl_->on_each([](shard& s) {
    s.window.s = window_stats{};
    s.window.recording = true;
  });
}

window_stats fleet::end_window() {
  std::vector<window_stats> parts(impl_->shards.size());
  std::mutex mu;
  std::size_t next = 0;
  impl_->on_each([&](shard& s) {
    s.window.recording = false;
    std::lock_guard<std::mutex> lock(mu);
    parts[next++] = std::move(s.window.s);
  });
  window_stats all;
  for (auto& p : parts) {
    all.heartbeats_ok += p.heartbeats_ok;
    all.heartbeats_refused += p.heartbeats_refused;
    all.rotations_ok += p.rotations_ok;
    all.timeouts += p.timeouts;
    all.drops += p.drops;
    all.rotation_ms_total += p.rotation_ms_total;
    all.heartbeat_ms.insert(all.heartbeat_ms.end(), p.heartbeat_ms.begin(), p.heartbeat_ms.end());
    for (const auto& [why, count] : p.problems) all.problems[why] += count;
  }
  std::sort(all.heartbeat_ms.begin(), all.heartbeat_ms.end());
  return all;
}

}  // namespace tp::bench
