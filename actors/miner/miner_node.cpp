// The miner node: follows the main chain and runs the replicas it assigns (see the header).
#include "actors/miner/miner_node.hpp"

#include <algorithm>
#include <mutex>
#include <optional>
#include <set>

#include "actors/chain/followed_chain.hpp"
#include "actors/miner/replica_actor.hpp"
#include "actors/router/router.hpp"
#include "crypto/node_id.hpp"
#include "protocols/main_chain/transaction_check.hpp"
#include "protocols/codec.hpp"
#include "storage/kayak_block_store.hpp"
#include "storage/kayak_log_store.hpp"
#include "storage/shard_chain_store.hpp"
#include "storage/sql_batch_executor.hpp"

namespace covenant::actors {
namespace {

using protocols::message_kind;
using follow_atom = caf::atom_constant<caf::atom("follow")>;
using resend_atom = caf::atom_constant<caf::atom("resend")>;
constexpr std::size_t evidence_pending_max = 64;
/// Resend rounds a member waits for the member whose turn a checkpoint is before it
/// submits the checkpoint itself.
constexpr unsigned checkpoint_backup_rounds = 3;
constexpr std::size_t checkpoints_pending_max = 64;  // per database

/// The replica's permission source: the chain's roles of its database, updated by the node
/// as blocks arrive (the replica runs in another actor, hence the lock).
class chain_permissions final : public kayak::permission_source {
  public:
    explicit chain_permissions(main_chain::database_assignment a) : assignment_(std::move(a)) {}
    std::optional<protocols::role> role_of(const account_address& user) const override {
        std::lock_guard<std::mutex> lock(mutex_);
        return main_chain::effective_role(assignment_, user);
    }
    void update(main_chain::database_assignment a) {
        std::lock_guard<std::mutex> lock(mutex_);
        assignment_ = std::move(a);
    }

  private:
    mutable std::mutex mutex_;
    main_chain::database_assignment assignment_;
};

struct running_replica {
    caf::actor actor;
    std::shared_ptr<chain_permissions> permissions;
};

struct miner_node_state {
    static inline const char* name = "covenant.miner.node";
    std::unique_ptr<miner_node_config> config_storage;
    miner_node_config& config() { return *config_storage; }
    std::unique_ptr<followed_chain> chain;  // the store, the follower, the fetches
    std::map<database_id, running_replica> replicas;
    /// Replicas told to stop whose actors have not ended yet: until one has, its files are
    /// still open (its state closes them), and a replica started on them meanwhile would
    /// recover from a log the old one may still be writing, and share its SQLite files.
    std::map<database_id, caf::actor_addr> stopping;
    /// Databases whose start waits for such an old replica to end; it then starts with the
    /// database's assignment as the chain holds it at that moment (views and permissions
    /// may have changed meanwhile).
    std::set<database_id> deferred_starts;
    /// Suspicions this node's replicas raised, by database, not yet resolved on the chain.
    std::map<database_id, protocols::suspect_message> open_suspicions;
    /// Evidence its replicas found, until the chain has slashed the offender.
    std::vector<protocols::tx::evidence> pending_evidence;
    /// Shard checkpoints its replicas gathered a quorum for, by database and height, until
    /// the chain records one at least as high. Each carries the billing of its own block,
    /// so all of them go, in height order: the database's leader on the chain submits them
    /// at once, from one account, so they land in order; another member only once one has
    /// waited checkpoint_backup_rounds resend rounds (the leader may be down), so that
    /// normally one transaction per checkpoint lands, not n.
    struct pending_checkpoint {
        protocols::tx::shard_checkpoint body;
        unsigned rounds = 0;
    };
    std::map<database_id, std::map<block_height, pending_checkpoint>> pending_checkpoints;
    miner_status status;
    bool registered = false;  // the chain has listed this miner
};

using self_pointer = caf::stateful_actor<miner_node_state>*;

std::string database_path(const miner_node_config& c, const database_id& id) {
    return c.data_dir + "/db-" + id.hex();
}

node_id node_of_member(const main_chain::ledger& state, const public_key& member) {
    const auto* m = state.miner(member);
    return crypto::compute_node_id(member, m ? m->node_id_nonce : 0);
}

void stop_replica(self_pointer self, const database_id& id) {
    auto at = self->state.replicas.find(id);
    if (at == self->state.replicas.end()) return;
    self->unlink_from(at->second.actor);  // its exit must not take the node down
    self->monitor(at->second.actor);      // its end, when its files are closed (on_replica_down)
    self->state.stopping[id] = at->second.actor.address();
    // Stop its deliveries now (the router would also drop them once the actor is gone); a
    // replica started after this on the same channel keeps its own subscriptions.
    self->send(self->state.config().router, unsubscribe_atom::value, at->second.actor);
    self->send_exit(at->second.actor, caf::exit_reason::user_shutdown);
    self->state.replicas.erase(at);
}

/// Opens the database's files and spawns its replica; a file that cannot be opened is
/// logged in the status and the database left unserved (never an assertion).
void start_replica(self_pointer self, const main_chain::database_assignment& a) {
    auto& st = self->state;
    stop_replica(self, a.id);
    if (st.stopping.count(a.id) != 0) {
        st.deferred_starts.insert(a.id);  // on_replica_down starts it
        return;
    }
    st.deferred_starts.erase(a.id);
    const auto base = database_path(st.config(), a.id);
    auto executor = storage::sql_executor::open(base + ".sqlite");
    auto chain = storage::shard_chain_store::open(base + ".chain");
    auto log = storage::kayak_log_store::open(base + ".log");
    if (!executor || !chain || !log) {
        st.status.last_refusal = "cannot open the files of database " + a.id.hex() + ": " +
                                 (!executor ? executor.failure().message()
                                  : !chain  ? chain.failure().message()
                                            : log.failure().message());
        return;
    }
    const auto& ledger = st.chain->ledger();
    std::shared_ptr<storage::kayak_log_store> log_store(std::move(log).value());
    auto batch_executor = std::make_shared<storage::sql_batch_executor>(std::move(executor).value());
    replica_actor_config c{
        st.config().replica_defaults, st.config().key, {}, st.config().router,
        caf::actor_cast<caf::actor>(self), log_store, batch_executor,
        std::make_shared<storage::kayak_block_store>(std::move(chain).value()),
        nullptr, st.config().replica_tick_ms, st.config().clock_offset_ms};
    // Weak: the replica's ports own the files; the status only looks at them.
    c.storage_report = [log_file = std::weak_ptr<storage::kayak_log_store>(log_store),
                        database_file = std::weak_ptr<storage::sql_batch_executor>(batch_executor)](
                           replica_status& out) {
        auto describe = [&](const char* file, const storage::wal_checkpointer::status& s) {
            out.wal_pages_behind += s.pages_behind;
            if (s.failures == 0) return;
            if (!out.storage_problem.empty()) out.storage_problem += "; ";
            out.storage_problem += std::string(file) + ": " + std::to_string(s.failures) +
                                   " background checkpoint(s) failed" +
                                   (s.failing ? " (still failing)" : "") + ", last: " + s.last_failure;
        };
        if (auto l = log_file.lock()) describe("log", l->checkpoint_status());
        if (auto d = database_file.lock()) describe("database", d->sql().checkpoint_status());
    };
    auto permissions = std::make_shared<chain_permissions>(a);
    c.permissions = permissions;
    c.replica.database = a.id;
    c.replica.groups = main_chain::groups_of(a);
    c.replica.mode = a.mode;
    c.replica.price_per_statement = 0;
    for (const auto& member : a.members) {
        c.member_nodes[member] = node_of_member(ledger, member);
        const auto* m = ledger.miner(member);
        const std::uint64_t price = m ? m->price_per_statement : 0;
        c.replica.price_per_statement =
            price > UINT64_MAX - c.replica.price_per_statement ? UINT64_MAX : c.replica.price_per_statement + price;
    }
    auto actor = st.config().spawn_replica ? st.config().spawn_replica(self->system(), std::move(c))
                                           : spawn_replica_actor(self->system(), std::move(c));
    self->link_to(actor);  // the replicas stop with the node (a crash takes them all)
    if (a.view.value > 0) self->send(actor, view_change_atom::value, a.view.value);
    st.replicas[a.id] = running_replica{actor, permissions};
    ++st.status.replicas_started;
}

void send_to_producers(self_pointer self, message_kind kind, const bytes& payload) {
    for (const auto& node : self->state.config().producer_nodes)
        self->send(self->state.config().router, send_atom::value, node.view().to_bytes(),
                   static_cast<std::uint16_t>(kind), payload);
}

/// The member an evidence transaction accuses.
const public_key& offender_of(const protocols::tx::evidence& e) {
    return std::visit(
        [](const auto& proof) -> const public_key& {
            using T = std::decay_t<decltype(proof)>;
            if constexpr (std::is_same_v<T, protocols::tx::conflicting_votes>) return proof.first.voter;
            else if constexpr (std::is_same_v<T, protocols::tx::conflicting_proposals>)
                return proof.first.leader;
            else return proof.first.signer;
        },
        e.proof);
}

/// Registered: the chain lists this miner (once it has, the node never registers again in
/// this run, even after an exit removed the record).
bool needs_registration(self_pointer self) {
    auto& st = self->state;
    if (!st.config().registration || st.registered) return false;
    st.registered = st.chain->ledger().miner(st.config().key.public_key()) != nullptr;
    return !st.registered;
}

/// Signs what this node still owes the chain -- its replicas' open suspicions, then the
/// evidence they found -- as transactions numbered from the chain's next nonce for this
/// miner, and sends them to every producer. Settled ones are dropped first, so that no
/// transaction waits behind a nonce that will never be filled: a suspicion once the chain
/// moved past its view or already records this miner's suspicion of it (or the database is
/// gone or no longer served here), evidence once its offender is slashed or gone.
void send_pending(self_pointer self) {
    auto& st = self->state;
    const auto& ledger = st.chain->ledger();
    const auto& me = st.config().key.public_key();
    for (auto it = st.open_suspicions.begin(); it != st.open_suspicions.end();) {
        const auto* db = ledger.database(it->first);
        bool settled = db == nullptr || db->view > it->second.view || st.replicas.count(it->first) == 0;
        if (!settled) {
            auto recorded = db->suspicions.find(it->second.view.value);
            settled = recorded != db->suspicions.end() && recorded->second.count(me) != 0;
        }
        it = settled ? st.open_suspicions.erase(it) : std::next(it);
    }
    auto& evidence = st.pending_evidence;
    evidence.erase(std::remove_if(evidence.begin(), evidence.end(),
                                  [&](const protocols::tx::evidence& e) {
                                      const auto* m = ledger.miner(offender_of(e));
                                      return m == nullptr || m->slashed;
                                  }),
                   evidence.end());

    for (auto it = st.pending_checkpoints.begin(); it != st.pending_checkpoints.end();) {
        const auto* db = ledger.database(it->first);
        if (db == nullptr || st.replicas.count(it->first) == 0) {
            it = st.pending_checkpoints.erase(it);
            continue;
        }
        auto& queue = it->second;
        if (db->checkpoint_height) queue.erase(queue.begin(), queue.upper_bound(*db->checkpoint_height));
        it = queue.empty() ? st.pending_checkpoints.erase(it) : std::next(it);
    }

    account_nonce nonce = ledger.next_nonce(crypto::address_of(me));
    std::vector<protocols::transaction> sent;  // this round's, in nonce order
    auto send = [&](decltype(protocols::transaction{}.body) body) {
        protocols::transaction tx;
        tx.sender = me;
        tx.nonce = nonce;
        tx.fee = st.config().transaction_fee;
        tx.body = std::move(body);
        tx.sign(st.config().key);
        const bool registration = std::holds_alternative<protocols::tx::register_miner>(tx.body);
        if (registration || std::holds_alternative<protocols::tx::shard_checkpoint>(tx.body)) {
            if (auto refusal = main_chain::transaction_refusal(ledger, st.chain->height(), sent, tx)) {
                st.status.last_refusal =
                    std::string(registration ? "registration: " : "checkpoint: ") + refusal->message();
                return;  // not sent: the nonce stays for the transactions after it
            }
        }
        send_to_producers(self, message_kind::main_transaction, protocols::encode(tx));
        ++st.status.transactions_sent;
        nonce = nonce.next();
        sent.push_back(std::move(tx));
    };
    if (needs_registration(self)) send(*st.config().registration);
    for (const auto& [id, suspicion] : st.open_suspicions) send(protocols::tx::suspect_leader{suspicion});
    for (const auto& e : evidence) send(e);
    for (const auto& [id, queue] : st.pending_checkpoints) {
        const auto* db = ledger.database(id);
        const bool leader = db->members[db->view.value % db->members.size()] == me;
        if (!leader && queue.begin()->second.rounds < checkpoint_backup_rounds) continue;
        for (const auto& [height, pending] : queue) send(pending.body);
    }
}

bool owes_the_chain(self_pointer self) {
    return !self->state.open_suspicions.empty() || !self->state.pending_evidence.empty() ||
           !self->state.pending_checkpoints.empty() || needs_registration(self);
}

void act_on(self_pointer self, const main_chain::assignment_changes& changes) {
    auto& st = self->state;
    for (const auto& id : changes.stopped) {
        stop_replica(self, id);
        st.deferred_starts.erase(id);
    }
    for (const auto& a : changes.started) start_replica(self, a);
    for (const auto& a : changes.restarted) start_replica(self, a);
    for (const auto& [id, view] : changes.view_changes) {
        auto at = st.replicas.find(id);
        if (at == st.replicas.end()) continue;
        self->send(at->second.actor, view_change_atom::value, view.value);
        ++st.status.view_changes_followed;
    }
    for (const auto& a : changes.permissions_changed) {
        auto at = st.replicas.find(a.id);
        if (at != st.replicas.end()) at->second.permissions->update(a);
    }
}

void ask_for_blocks(self_pointer self) {
    auto fetch = self->state.chain->next_fetch();
    if (!fetch) return;
    self->send(self->state.config().router, send_atom::value, fetch->to.view().to_bytes(),
               static_cast<std::uint16_t>(message_kind::main_block_fetch), std::move(fetch->payload));
}

miner_status status_of(self_pointer self) {
    auto& st = self->state;
    miner_status s = st.status;
    const auto& follow = st.chain->stats();
    s.blocks_applied = follow.blocks_applied;
    s.blocks_refused = follow.blocks_refused;
    s.replies_ignored = follow.replies_ignored;
    if (!follow.last_refusal.empty()) s.last_refusal = follow.last_refusal;
    s.chain_height = st.chain->height().value;
    s.registered = st.chain->ledger().miner(st.config().key.public_key()) != nullptr;
    if (st.chain->follower().head()) s.chain_head = st.chain->follower().head()->hash.view().to_bytes();
    for (const auto& [id, a] : st.chain->follower().current_assignments()) {
        if (st.replicas.count(id) == 0) continue;
        served_database d;
        d.id = id.view().to_bytes();
        d.view = a.view.value;
        for (const auto& m : a.members) d.members.push_back(m.view().to_bytes());
        s.databases.push_back(std::move(d));
    }
    return s;
}

/// A replica this node stopped has ended (its state, and with it its files, is gone): a
/// start that waited for it goes ahead now.
void on_replica_down(self_pointer self, const caf::down_msg& down) {
    auto& st = self->state;
    for (auto it = st.stopping.begin(); it != st.stopping.end(); ++it) {
        if (it->second != down.source) continue;
        const database_id id = it->first;
        st.stopping.erase(it);
        if (st.deferred_starts.erase(id) == 0) return;
        const auto& current = st.chain->follower().current_assignments();
        if (auto a = current.find(id); a != current.end()) start_replica(self, a->second);
        return;
    }
}

/// What spawn_miner_node() prepared before the actor exists.
struct prepared_node {
    miner_node_config config;
    std::unique_ptr<followed_chain> chain;
};

caf::behavior miner_node(self_pointer self, std::shared_ptr<prepared_node> prepared) {
    auto& st = self->state;
    st.config_storage = std::make_unique<miner_node_config>(std::move(prepared->config));
    st.chain = std::move(prepared->chain);
    self->set_down_handler([=](caf::down_msg& down) { on_replica_down(self, down); });
    self->send(st.config().router, subscribe_atom::value,
               static_cast<std::uint16_t>(message_kind::main_block_fetch_reply),
               caf::actor_cast<caf::actor>(self));
    for (const auto& [id, a] : st.chain->follower().current_assignments()) start_replica(self, a);
    ask_for_blocks(self);
    self->delayed_send(self, std::chrono::milliseconds(st.config().follow_interval_ms),
                       follow_atom::value);
    self->delayed_send(self, std::chrono::milliseconds(st.config().resend_interval_ms),
                       resend_atom::value);
    return {
        [=](deliver_atom, const inbound_envelope& in) {
            if (in.kind != static_cast<std::uint16_t>(message_kind::main_block_fetch_reply)) return;
            auto out = self->state.chain->on_reply(
                in.sender_node_id, in.payload,
                [=](const protocols::main_block&, const main_chain::assignment_changes& changes) {
                    act_on(self, changes);
                });
            if (out.store_failure) {
                // The node's state is ahead of its disk: it stops, as a producer does, and a
                // restart resumes from what is on disk.
                self->quit(caf::make_error(caf::sec::runtime_error, "miner: " + *out.store_failure));
                return;
            }
            if (out.taken && owes_the_chain(self)) send_pending(self);
            if (out.ask_again) ask_for_blocks(self);
        },
        [=](follow_atom) {
            // A database whose replica could not start (its files did not open) is tried again.
            for (const auto& [id, a] : self->state.chain->follower().current_assignments())
                if (self->state.replicas.count(id) == 0) start_replica(self, a);
            ask_for_blocks(self);
            self->delayed_send(self, std::chrono::milliseconds(self->state.config().follow_interval_ms),
                               follow_atom::value);
        },
        [=](resend_atom) {
            for (auto& [id, queue] : self->state.pending_checkpoints)
                for (auto& [height, pending] : queue) ++pending.rounds;
            if (owes_the_chain(self)) send_pending(self);
            self->delayed_send(self, std::chrono::milliseconds(self->state.config().resend_interval_ms),
                               resend_atom::value);
        },
        [=](suspect_atom, const bytes& wire) {
            auto suspicion = protocols::decode_suspect(wire);
            if (!suspicion) return;  // our own replica's bytes: cannot happen, never trusted
            auto& open = self->state.open_suspicions;
            auto at = open.find(suspicion->database);
            if (at != open.end() && !(at->second.view < suspicion->view)) return;  // known
            open[suspicion->database] = *suspicion;
            send_pending(self);
        },
        [=](evidence_atom, const bytes& wire) {
            auto evidence = protocols::decode_evidence(wire);
            if (!evidence) return;
            auto& pending = self->state.pending_evidence;
            if (std::find(pending.begin(), pending.end(), *evidence) != pending.end()) return;
            if (pending.size() >= evidence_pending_max) return;  // bounded; re-found later
            pending.push_back(std::move(evidence).value());
            send_pending(self);
        },
        [=](checkpoint_atom, const bytes& wire) {
            auto carrier = protocols::decode_transaction(wire);
            if (!carrier) return;  // our own replica's bytes: cannot happen, never trusted
            auto* body = std::get_if<protocols::tx::shard_checkpoint>(&carrier->body);
            if (body == nullptr) return;
            auto& queue = self->state.pending_checkpoints[body->database];
            if (queue.count(body->height)) return;  // known
            const block_height height = body->height;
            queue.emplace(height, miner_node_state::pending_checkpoint{std::move(*body), 0});
            // Bounded: if the chain takes none for this long, the oldest billing is lost.
            while (queue.size() > checkpoints_pending_max) queue.erase(queue.begin());
            send_pending(self);
        },
        [=](miner_status_atom) { return status_of(self); },
        [=](replica_of_atom, const bytes& id) -> caf::actor {
            auto parsed = database_id::from_view(id);
            if (!parsed) return {};
            auto at = self->state.replicas.find(*parsed);
            return at == self->state.replicas.end() ? caf::actor{} : at->second.actor;
        },
    };
}

}  // namespace

void add_miner_message_types(caf::actor_system_config& config) {
    config.add_message_type<served_database>("covenant::served_database");
    config.add_message_type<miner_status>("covenant::miner_status");
}

result<caf::actor> spawn_miner_node(caf::actor_system& system, miner_node_config config) {
    auto chain = followed_chain::open(config.data_dir + "/main_chain.sqlite", config.genesis,
                                      config.key.public_key(), config.producer_nodes);
    if (!chain) return chain.failure();
    auto prepared =
        std::make_shared<prepared_node>(prepared_node{std::move(config), std::move(chain).value()});
    return system.spawn(miner_node, std::move(prepared));
}

}  // namespace covenant::actors
