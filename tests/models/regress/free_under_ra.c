/*
 * @thread owner
 * @thread peer
 * @memory-models sc ra
 * @expect sc * holds
 * @expect ra * holds
 */
struct obj { struct obj *next; int v; };
struct obj *head;
struct mutex lock;
void owner(void)
{
	struct obj *o = kzalloc(sizeof(*o), GFP_KERNEL);
	struct obj *old;
	if (!o)
		return;
	o->v = 1;
	mutex_lock(&lock);
	old = head;
	head = o;
	mutex_unlock(&lock);
	kfree(old);
}
void peer(void)
{
	struct obj *o;
	mutex_lock(&lock);
	o = head;
	head = NULL;
	mutex_unlock(&lock);
	kfree(o);
}
