/*
 * @title  freeing the parent leaks the child it pointed to
 * @description head still points to a when a is freed, but a freed object's cells are
 *   gone: b, reachable only through a, is leaked by the free itself.
 * @memory-models sc
 * @thread t
 * @expect sc no-leak violated
 * @expect sc * holds
 */
struct node { struct node *next; };
struct node *head;

void t(void)
{
	struct node *a = kzalloc(sizeof(struct node), GFP_KERNEL);
	struct node *b = kzalloc(sizeof(struct node), GFP_KERNEL);
	a->next = b;
	WRITE_ONCE(head, a);
	kfree(a);
	WRITE_ONCE(head, NULL);
}
