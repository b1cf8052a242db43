// Package keepalive keeps an app's dynamic Jira webhooks alive, on one site
// or on tens of thousands.
//
// Jira deletes a dynamic webhook 30 days after its registration or last
// refresh, silently. A [Refresher] lists each site's webhooks, refreshes
// them in one batch before the earliest expiry, registers the declared ones
// that are missing, deletes duplicates, and alerts (through [Event]s) when a
// site's webhooks are at risk or lost:
//
//	r := &keepalive.Refresher{OnEvent: alert}
//	r.AddSite("acme", client, keepalive.Declaration{URL: u, Details: d})
//	go r.Run(ctx)
//
// The Refresher works through the [Client] interface, the four calls of
// *webhooks.Client it needs, so any value with those methods (a wrapper
// that meters calls, an in-memory fake) can stand in for the client.
//
// Run schedules the sites on a min-heap of their next due times: each wake
// costs O(log sites) per site due, so a cycle over all sites costs time
// proportional to their number. One pure function decides a site's next due
// time after a success and after each kind of failure.
//
// Several replicas may run a Refresher on the same sites: they converge on
// one webhook per declaration. To have only one replica call Jira, run the
// Refresher under a lease (stores/redis has one).
package keepalive
