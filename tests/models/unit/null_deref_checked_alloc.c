/*
 * @title  the same allocation, checked: no NULL dereference
 * @memory-models sc
 * @thread t
 * @faults 1
 * @expect sc * holds
 */
struct obj { int val; };
struct obj *g;

void t(void)
{
	struct obj *o = kzalloc(sizeof(struct obj), GFP_KERNEL);
	if (!o)
		return;
	o->val = 1;
	g = o;
}
