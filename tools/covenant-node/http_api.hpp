// The client gateway's HTTP/JSON API (docs/node.md "The HTTP API"), on cpp-httplib: each
// request is parsed and checked strictly (bad input is a 400 with a JSON error, never a
// crash), turned into a call of the client actor (actors/client/client_node.hpp), and its
// answer -- verified by the actor before it answers -- written back as JSON. Errors are
// {"error": "...", "code": "..."} with a status that fits (400 bad input, 403 refused
// permission, 404 unknown database, 409/422 refused by the ledger, 502/503/504 network,
// overload, timeout). Listens on loopback unless the config allows otherwise.
#pragma once

#include <spdlog/logger.h>
#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <memory>
#include <string>
#include <thread>

#include "common/ids.hpp"
#include "node_config.hpp"
#include "storage/genesis_file.hpp"

namespace httplib {
class Server;
}

namespace covenant::node {

class http_api {
  public:
    /// Binds `settings.http_listen` (SO_REUSEADDR only: a port another process listens on is
    /// refused) and starts serving on threads of its own; a message saying why on failure.
    /// `genesis` is served as it is (GET /v1/chain/genesis), for clients that re-verify the
    /// chain.
    static result<std::unique_ptr<http_api>> start(caf::actor_system& system, caf::actor client,
                                                   const client_settings& settings,
                                                   const node_id& id,
                                                   const storage::genesis_document& genesis,
                                                   spdlog::logger& log);
    ~http_api();
    http_api(const http_api&) = delete;
    http_api& operator=(const http_api&) = delete;

    std::uint16_t port() const { return port_; }
    /// Stops accepting and waits for the serving thread.
    void stop();

  private:
    http_api(caf::actor_system& system, caf::actor client, const client_settings& settings,
             const node_id& id, const storage::genesis_document& genesis, spdlog::logger& log);
    void routes();

    caf::actor_system& system_;
    caf::actor client_;
    client_settings settings_;
    node_id id_;
    std::string genesis_json_;
    std::string genesis_hash_;
    std::string network_;
    spdlog::logger& log_;
    std::unique_ptr<httplib::Server> server_;
    std::thread thread_;
    std::uint16_t port_ = 0;
};

}  // namespace covenant::node
