import type pg from 'pg';

/** What store functions need: a pool or a client inside a transaction. */
export type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;
