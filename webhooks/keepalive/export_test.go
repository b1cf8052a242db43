package keepalive

// TouchSite reads the words of the Refresher's own state that a sync of
// the i-th site added reads (the site, its declarations, its memory of the
// last listing) and does nothing with them. TestScale times it as the
// baseline of the memory traffic of a sync at each size. Call it only when
// Run has returned.
func TouchSite(r *Refresher, i int) int64 {
	s := r.order[i]
	sum := s.st.next.UnixNano() + s.st.earliest.UnixNano() + int64(s.gen) + int64(s.st.kept) + int64(s.mem.jitter)
	sum += int64(len(s.decls[0].URL)) + int64(len(s.keys[0]))
	for _, k := range s.mem.known {
		sum += k.id + int64(k.decl)
	}
	for _, id := range s.mem.had {
		sum += id
	}
	return sum
}
