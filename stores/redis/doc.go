// Package redisstore keeps the shared state of an app that runs several
// replicas behind a load balancer in Redis, through
// github.com/redis/go-redis/v9. It lives in a module of its own so that
// users of the core library do not download a Redis client they do not use.
//
// With the in-memory defaults, each replica has its own view: a delivery
// Jira retries on another replica is handled twice; two replicas refresh
// the same rotating OAuth refresh token at once and Atlassian, seeing it
// reused, revokes the grant; every replica's Refresher calls Jira. This
// package gives each of those a shared store:
//
//   - DedupeStore, a webhooks.DedupeStore for webhooks.WithDedupeStore:
//     a delivery is handled by one replica once, whichever replica Jira's
//     retries land on.
//   - TokenStore, an auth.TokenStore and auth.Locker for
//     auth.NewTokenSource: one replica refreshes a grant while the others
//     wait for the lock and then read the new token.
//   - Lease, which runs a function (typically keepalive.Refresher.Run) on one
//     replica at a time and hands it to another when that replica dies.
//
// All three take a redis.UniversalClient: a *redis.Client, a
// *redis.ClusterClient (each operation touches one key) or a failover
// client.
//
// # Keys and lifetimes
//
// Every key starts with a prefix (DefaultPrefix, "jirahooks", unless the
// options say otherwise). Names inside keys (tenants, delivery ids, token
// keys, lease names) are escaped with url.QueryEscape, so a ':' in a name
// cannot forge another key; when the escaped names exceed 256 bytes they are
// replaced by "#" and a SHA-256 in hex.
//
//	key                             value                   lifetime
//	jirahooks:dedupe:<tenant>:<id>  "r:<random>" reserved   ReservationTTL (5m), while callbacks run
//	                                "d" handled             TTL (24h, webhooks.DefaultDedupeTTL)
//	jirahooks:token:<key>           JSON of the token       none: kept until replaced or deleted
//	jirahooks:tokenlock:<key>       random holder token     LockTTL (30s), renewed every LockTTL/3 while held
//	jirahooks:lease:<name>          random holder token     TTL (30s), renewed every RenewEvery (TTL/3) while held
//
// Locks and leases are taken with SET NX PX and a random token, extended by
// a compare-and-extend script and deleted by a compare-and-delete script,
// so a holder never extends or deletes another holder's lock.
//
// # Failures
//
// Redis errors are returned, never swallowed: a Handler whose DedupeStore
// cannot reach Redis answers 500 and Jira retries the delivery later, and
// once the callbacks ran it retries recording the delivery as handled
// through a short outage (webhooks.WithCommitRetry); a
// TokenSource that cannot load, lock or save fails the call (a refreshed
// token it could not save is kept in memory and saved on the next call, see
// auth.TokenSource). A Lease holder that cannot renew its lease for TTL -
// RenewEvery stops its function (context cause ErrLeaseLost) before another
// replica can take the lease; replicas waiting for a lease keep trying
// through an outage. go-redis reconnects by itself once Redis is back, and
// the scripts are loaded again into a restarted Redis.
//
// A Redis restart without persistence forgets everything: handled
// deliveries (a retry arriving then runs again), leases (the holder notices
// and competes again) and tokens. Losing a token is the costly one, because
// its refresh token cannot be recovered and the user must consent again:
// run the Redis that holds tokens with persistence (appendonly yes), or give
// TokenStore a Redis of its own that has it.
package redisstore
