package mail

// SetCrash makes d fail at a step ("claim", "send", "record") as if the
// process died there: nothing after it runs.
func SetCrash(d *Deliverer, f func(step string) error) { d.crash = f }
