/*
 * @title  a published structure read through a plain pointer load (model 10 under LKMM in miniature)
 * @description The writer fills an item, links it into a table with a plain store, and
 *   publishes the table with rcu_assign_pointer; the reader fetches the table with
 *   rcu_dereference, loads the item pointer from it and reads the item. The item's field is
 *   one address dependency away from a PLAIN load, two from the marked one: LKMM bounds a
 *   plain access only by a marked access it depends on directly (r-pre-bounded), so the read
 *   of the field races with the writer's store and may return the initial value (an
 *   execution LKMM allows and flags as a data race). With MARKED=1 the item pointer is loaded
 *   with READ_ONCE: the field is bounded, the race and the violation are gone. sc and x86-TSO
 *   keep the order either way. The KVM readers walk a memslot set this way (5.17 on: the id
 *   hash and gfn tree after srcu_dereference of kvm->memslots).
 * @memory-models sc
 * @thread writer
 * @thread reader
 * @expect sc * holds
 */
struct item {
	int val;
};

struct table {
	struct item *slot;
};

struct item item;
struct table tab;
struct table *gp;

void writer(void)
{
	item.val = 1;
	tab.slot = &item;
	rcu_assign_pointer(gp, &tab);
}

void reader(void)
{
	struct table *t;
	struct item *it;

	t = rcu_dereference(gp);
	if (!t)
		return;
#if MARKED
	it = READ_ONCE(t->slot);
#else
	it = t->slot;
#endif
	if (it)
		assert_property("item-published", it->val == 1);
}
