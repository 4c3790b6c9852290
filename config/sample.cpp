#include "config/sample.hpp"

namespace tp::config {

std::string sample_config() {
  return R"yaml(# teleport.yaml: configuration of the teleport daemon.
# The daemon reads /etc/teleport.yaml unless started with --config=<path>.
# Indent with spaces; YAML does not allow tabs. Keys not listed here are errors.
# `teleport configure --test <file>` checks a file and lists every problem.

# Settings shared by all services of this process.
teleport:
  # The name users and `tctl nodes ls` know this host by. Defaults to the hostname.
  # nodename: node-1

  # Where keys, certificates, the embedded database and the audit log live.
  data_dir: /var/lib/teleport

  # Write the daemon's PID here (no PID file when unset).
  # pid_file: /run/teleport.pid

  # The join token this host presents the first time it contacts the auth
  # server. A value starting with '/' names a file that holds the token.
  # auth_token: 7f1d0c5f3b2a46e1

  # The auth server's CA pin from `tctl status`, checked when joining.
  # ca_pin: "sha256:<64 hex digits>"

  # The IP other hosts reach this one at, when it is behind NAT.
  # advertise_ip: 10.0.0.12

  # Auth servers to connect to (host:port; the port defaults to 3025).
  auth_servers:
    - 127.0.0.1:3025

  # Throttling of incoming connections.
  connection_limits:
    max_connections: 15000
    max_users: 250

  # output: stdout, stderr or syslog. severity: DEBUG, INFO, WARN or ERROR.
  log:
    output: stderr
    severity: ERROR

  # Cluster state storage. The embedded store (type bolt, dir or lmdb) keeps it
  # under data_dir. For several auth servers use etcd:
  #   type: etcd
  #   peers: ["https://10.0.0.5:2379", "https://10.0.0.6:2379"]
  #   tls_cert_file: /var/lib/teleport/etcd-cert.pem
  #   tls_key_file: /var/lib/teleport/etcd-key.pem
  #   tls_ca_file: /var/lib/teleport/etcd-ca.pem
  #   prefix: teleport
  storage:
    type: dir

  # SSH algorithms; leave these out to use the built-in defaults.
  # ciphers: [aes128-gcm@openssh.com, aes256-ctr]
  # kex_algos: [curve25519-sha256@libssh.org, ecdh-sha2-nistp256]
  # mac_algos: [hmac-sha2-256-etm@openssh.com, hmac-sha2-256]

# The auth service: certificate authorities, users, tokens and the audit log.
auth_service:
  enabled: yes

  # Part of every certificate this cluster issues, and the name trusted clusters
  # refer to. Changing it later invalidates all issued certificates.
  cluster_name: example

  authentication:
    # local (the built-in user database), github, saml or oidc.
    type: local
    # Second factor for local users: off, otp or u2f. u2f also needs:
    #   u2f:
    #     app_id: https://proxy.example.com:3080
    #     facets: [https://proxy.example.com:3080]
    second_factor: otp

  # Where nodes, proxies and tctl reach the auth API.
  listen_addr: 0.0.0.0:3025

  # Static join tokens, "<roles>:<token>" with roles among auth, node, proxy and
  # trusted_cluster. "<roles>:/path/to/file" reads the token from a file.
  # Short-lived tokens from `tctl nodes add --ttl=...` are safer.
  tokens:
    - "node,proxy:replace-with-a-long-random-secret"

  # Who records interactive sessions: node (default), proxy or off.
  session_recording: node

  # In proxy recording mode, require nodes to present host certificates.
  proxy_checks_host_keys: yes

  # Disconnect SSH clients after this long without input ("never" to keep them),
  # and clients whose certificate expires while they are connected.
  client_idle_timeout: never
  disconnect_expired_cert: no

# The node (SSH) service.
ssh_service:
  enabled: yes
  listen_addr: 0.0.0.0:3022

  # Static labels shown by `tctl nodes ls` and usable to select nodes.
  labels:
    env: staging

  # Labels whose value is the output of a command, refreshed every period.
  commands:
    - name: kernel
      command: [uname, -r]
      period: 1h0m0s

  # Read ~/.tsh/environment into sessions.
  permit_user_env: false

  # Open sessions through PAM using /etc/pam.d/<service_name>.
  pam:
    enabled: no
    service_name: teleport

# The proxy service: the entry point for users.
proxy_service:
  enabled: yes
  # SSH clients connect here.
  listen_addr: 0.0.0.0:3023
  # Nodes and clusters behind firewalls dial in here (reverse tunnels).
  tunnel_listen_addr: 0.0.0.0:3024
  # HTTPS: web UI and `tsh login`.
  web_listen_addr: 0.0.0.0:3080

  # The name users reach the proxy by (a load balancer, if there is one).
  # public_addr: proxy.example.com:3080

  # TLS certificate for HTTPS; a self-signed one is generated when unset.
  # https_key_file: /var/lib/teleport/webproxy_key.pem
  # https_cert_file: /var/lib/teleport/webproxy_cert.pem
)yaml";
}

}  // namespace tp::config
