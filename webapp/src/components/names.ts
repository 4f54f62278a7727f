import type { ListName } from '../api/types';
import type { TabName } from '../state/store';

/** Counter names (accessible) and their short visible labels. */
export const COUNTERS: { list: ListName; name: string; short: string; tiny: string }[] = [
  { list: 'reviews', name: 'Reviews', short: 'Reviews', tiny: 'R' },
  { list: 'assigned_mrs', name: 'Assigned merge requests', short: 'Assigned', tiny: 'A' },
  { list: 'my_mrs', name: 'My merge requests', short: 'Mine', tiny: 'M' },
  { list: 'assigned_issues', name: 'Assigned issues', short: 'Issues', tiny: 'I' },
  { list: 'todos', name: 'To-dos', short: 'To-dos', tiny: 'T' },
];

export const TABS: { tab: TabName; name: string }[] = [
  { tab: 'reviews', name: 'Reviews' },
  { tab: 'assigned_mrs', name: 'Assigned MRs' },
  { tab: 'my_mrs', name: 'My MRs' },
  { tab: 'assigned_issues', name: 'Issues' },
  { tab: 'todos', name: 'To-dos' },
  { tab: 'subscriptions', name: 'Subscriptions' },
];
