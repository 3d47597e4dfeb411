/*
 * @title   RCU: the updater waits for a grace period before freeing
 * @thread  reader
 * @thread  updater
 * @memory-models sc ra
 * @expect  sc * holds
 * @expect  ra * holds
 */
struct obj { int val; };
struct obj *gp;

void reader(void)
{
	struct obj *p;

	rcu_read_lock();
	p = rcu_dereference(gp);
	if (p)
		assert_property("val-seen", p->val == 1);
	rcu_read_unlock();
}

void updater(void)
{
	struct obj *p = kzalloc(sizeof(*p), GFP_KERNEL);

	p->val = 1;
	rcu_assign_pointer(gp, p);
	rcu_assign_pointer(gp, NULL);
	synchronize_rcu();
	kfree(p);
}
