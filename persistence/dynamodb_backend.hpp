// Cluster state in an Amazon DynamoDB table (storage.type: dynamodb), so that
// several auth servers share it. Requests go through a dynamodb_gateway the caller
// provides (transport's HTTP client signing with AWS Signature Version 4), which keeps
// this layer free of sockets and credentials.
//
// Layout: dynamodb_json.hpp. Every write takes the next revision from a counter item
// (an atomic ADD), writes the item conditionally (a write never replaces a newer
// revision; create and compare-and-swap are conditions on the stored item, so they
// are atomic across auth servers) and appends the change to a log in the same table.
// Watches poll that log (every poll_interval) in revision order: DynamoDB Streams
// are not used, so a watch works on any endpoint (dynalite has no streams). A
// revision whose log entry has not appeared within gap_timeout (its writer died
// between the two writes) is skipped. Expiry: reads never show an expired item; an
// expired item a watching backend knows of is deleted by it (conditionally, so
// exactly one auth server does it) and reported as a remove; the table's TTL
// attribute "Expires" lets DynamoDB reclaim what nobody deleted.
//
// Not atomic here, unlike LMDB and etcd: put_batch and remove_range write item by
// item (each write is; a crash midway leaves a prefix of the batch written).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "persistence/backend.hpp"

namespace tp::persistence {

class dynamodb_gateway {
 public:
  virtual ~dynamodb_gateway() = default;
  struct reply {
    unsigned status = 0;
    std::string body;
  };
  // POSTs a JSON body for `operation` ("GetItem"...). An error only when no answer
  // came (unreachable, TLS); an HTTP status is a reply.
  virtual tp::result<reply> call(std::string_view operation, const std::string& body) = 0;
  // "DynamoDB at https://dynamodb.eu-west-1.amazonaws.com" for messages.
  virtual std::string name() const = 0;
};

struct dynamodb_options {
  std::string table_name;
  bool create_table = true;  // create it (on-demand billing, TTL on Expires) when missing
  std::chrono::milliseconds poll_interval{200};  // watches read the change log this often
  std::chrono::milliseconds gap_timeout{5000};
  std::chrono::hours log_retention{1};  // change log entries expire (TTL) after this
  std::size_t watch_queue_capacity = 16384;
  // Throttled or failed requests are retried this many times, backing off from
  // retry_base (doubling, with jitter, at most 2 s between tries).
  int max_retries = 8;
  std::chrono::milliseconds retry_base{50};
  // get_range skips items this backend did not write, reported here (the text names
  // the key); get() of that key fails naming it, and a put repairs it.
  std::function<void(const std::string& why)> on_skipped{};
  // What the backend did on its own (created the table, the endpoint has no TTL...).
  std::function<void(const std::string& what)> on_notice{};
};

// Checks the table (creating it when missing and allowed) before returning the backend;
// io with the service's reason otherwise ("… refused the access key", "… denied
// access to table …").
db_result<std::unique_ptr<backend>> open_dynamodb_backend(std::shared_ptr<dynamodb_gateway> gateway,
                                                          const dynamodb_options& options);

}  // namespace tp::persistence
