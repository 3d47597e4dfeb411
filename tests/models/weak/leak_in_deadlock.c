/*
 * @title an object lost in an execution that ends in a deadlock
 * @description owner publishes a fresh object and then waits for good on the lock it already
 *   holds; dropper unpublishes the object. No execution completes, but once both have stopped
 *   nothing reaches the object: a leak under every memory model (the final memory of the
 *   deadlocked execution; under ra, once no thread can move, although the waiting owner's
 *   view could still read the old pointer). With USE_AFTER=1 owner would still use its
 *   pointer after the wait, so the pointer stays live and nothing leaks.
 * @config USE_AFTER=1
 * @memory-models sc ra
 * @thread owner
 * @thread dropper
 * @expect sc no-deadlock violated
 * @expect sc lock-order violated
 * @expect sc USE_AFTER=1 no-leak holds
 * @expect sc no-leak violated
 * @expect sc * holds
 * @expect ra no-deadlock violated
 * @expect ra lock-order violated
 * @expect ra USE_AFTER=1 no-leak holds
 * @expect ra no-leak violated
 * @expect ra * holds
 */
#define USE_AFTER 0
struct obj { int v; };
struct mutex m;
struct obj *shared;

void owner(void)
{
	struct obj *o = kzalloc(sizeof(*o), GFP_KERNEL);

	mutex_lock(&m);
	if (o)
		rcu_assign_pointer(shared, o);
	mutex_lock(&m);
#if USE_AFTER
	if (o)
		o->v = 1;
#endif
}

void dropper(void)
{
	WRITE_ONCE(shared, NULL);
}
