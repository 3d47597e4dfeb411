/* A published two-node list, for the leak models: head -> a -> b. */
struct node { struct node *next; };
struct node *head;

void build(void)
{
	struct node *a = kzalloc(sizeof(struct node), GFP_KERNEL);
	struct node *b = kzalloc(sizeof(struct node), GFP_KERNEL);
	a->next = b;
	smp_store_release(&head, a);
}
