package daemon

// Unpinning a network namespace (umount of the nsfs bind mount) waits for
// an RCU grace period: several ms on the exit path of every container,
// which `run --rm` and `wait` would see. It runs in the background; the
// next set-up of the same container, and daemon shutdown, wait for it.

// teardownStateLater runs teardownState in the background.
func (d *Daemon) teardownStateLater(id string, st *netState) {
	m := d.nets
	done := make(chan struct{})
	m.mu.Lock()
	if m.unpinning == nil {
		m.unpinning = map[string]chan struct{}{}
	}
	m.unpinning[id] = done
	m.mu.Unlock()
	go func() {
		defer close(done)
		d.teardownState(id, st)
		m.mu.Lock()
		if m.unpinning[id] == done {
			delete(m.unpinning, id)
		}
		m.mu.Unlock()
	}()
}

// waitUnpinned returns once no background teardown of id is running.
func (d *Daemon) waitUnpinned(id string) {
	d.nets.mu.Lock()
	ch := d.nets.unpinning[id]
	d.nets.mu.Unlock()
	if ch != nil {
		<-ch
	}
}

// waitAllUnpinned waits for every background teardown (clean shutdown).
func (d *Daemon) waitAllUnpinned() {
	d.nets.mu.Lock()
	var chs []chan struct{}
	for _, ch := range d.nets.unpinning {
		chs = append(chs, ch)
	}
	d.nets.mu.Unlock()
	for _, ch := range chs {
		<-ch
	}
}
