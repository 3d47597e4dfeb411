/*
 * @title   RCU: the updater waits for a grace period before freeing
 * @description NEAR_MISS=1: the updater frees without a grace period, and a reader in its
 *   read section sees the freed object.
 * @config  NEAR_MISS=1
 * @thread  reader
 * @thread  updater
 * @memory-models sc ra
 * @expect  sc * holds
 * @expect  ra * holds
 * @expect  sc NEAR_MISS=1 no-use-after-free violated
 * @expect  sc NEAR_MISS=1 * holds
 * @expect  ra NEAR_MISS=1 no-use-after-free violated
 * @expect  ra NEAR_MISS=1 * holds
 */
#define NEAR_MISS 0
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
#if !NEAR_MISS
	synchronize_rcu();
#endif
	kfree(p);
}
