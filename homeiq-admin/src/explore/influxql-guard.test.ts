import { describe, expect, it } from 'vitest';
import { influxqlTokens, MAX_INFLUXQL_COUNT, refusedInfluxql } from './influxql-guard.js';

// What the console refuses in InfluxQL, however it is spelt; tests/integration/admin/query-console.test.ts shows
// on a real influxd that the spellings refused here are ones it would run.

const kinds = (q: string) => [...influxqlTokens(q)].map((t) => `${t.kind}:${t.text}`);

describe('InfluxQL tokens', () => {
  it('reads strings, quoted names, comments, regular expressions, numbers and durations whole', () => {
    expect(
      kinds(`SELECT "a\\"b", 'it''s' FROM /x'y/ -- gone\nWHERE v / 2.5 > .5 AND time > now() - 10s /* gone */`),
    ).toEqual([
      'word:SELECT',
      'quoted:a"b',
      'symbol:,',
      "string:'it'",
      "string:'s'",
      'word:FROM',
      "regex:/x'y/",
      'word:WHERE',
      'word:v',
      'symbol:/',
      'number:2.5',
      'symbol:>',
      'number:.5',
      'word:AND',
      'word:time',
      'symbol:>',
      'word:now',
      'symbol:(',
      'symbol:)',
      'symbol:-',
      'number:10s',
    ]);
    // InfluxDB reads `1.` as a number even without a fraction: the `/` after it divides.
    expect(kinds('SELECT 1./2, /x/')).toEqual([
      'word:SELECT',
      'number:1.',
      'symbol:/',
      'number:2',
      'symbol:,',
      'regex:/x/',
    ]);
    expect(kinds('a =~ /\\/x/ , 5µs')).toEqual([
      'word:a',
      'symbol:=',
      'symbol:~',
      'regex:/\\/x/',
      'symbol:,',
      'number:5µs',
    ]);
  });
});

const refuses = (q: string, why: string | RegExp): void => {
  const r = refusedInfluxql(q);
  expect(r, q).toBeDefined();
  if (typeof why === 'string') expect(r, q).toContain(why);
  else expect(r, q).toMatch(why);
};
const allows = (q: string): void => expect(refusedInfluxql(q), q).toBeUndefined();

describe('refusedInfluxql', () => {
  it('allows reading statements only, and no INTO', () => {
    refuses('DROP MEASUREMENT "sensor"', 'DROP is not a SELECT, SHOW or EXPLAIN statement');
    refuses('SHOW DATABASES; DELETE FROM "sensor"', 'DELETE is not');
    refuses('-- a comment\ncreate database x', 'CREATE is not');
    refuses('SELECT * INTO "copy" FROM "sensor"', 'SELECT … INTO writes data');
    refuses(`SELECT /a'/ INTO "x'" FROM "sensor"`, 'INTO writes data');
    refuses(`SELECT * FROM /x'/; DROP MEASUREMENT "sensor"; SELECT * FROM "a'"`, 'DROP is not');
    allows(`/* the "into" column */ SELECT "value" AS "into" FROM "sensor" WHERE "entity_id" = 'DROP; INTO'`);
    allows('SHOW MEASUREMENTS; EXPLAIN SELECT mean("value") FROM "sensor"');
  });

  it('refuses the functions that hold every point, however they are spelt', () => {
    for (const [q, name, flux] of [
      ['SELECT percentile("value", 50) FROM "sensor"', 'percentile', 'quantile(q: 0.95)'],
      ['select PERCENTILE("value",95) from "sensor"', 'percentile', 'quantile'],
      ['SELECT PeRcEnTiLe ( "value" , 50 ) FROM "sensor"', 'percentile', 'quantile'],
      ['SELECT percentile/* hidden */("value", 50) FROM "sensor"', 'percentile', 'quantile'],
      ['SELECT percentile\n--\n("value", 50) FROM "sensor"', 'percentile', 'quantile'],
      // A quoted name before `(` is the function for InfluxDB, also after a bare part (`x"median"` reads "median").
      ['SELECT "percentile"("value", 50) FROM "sensor"', 'percentile', 'quantile'],
      ['SELECT x"median"("value") FROM "sensor"', 'median', 'median()'],
      ['SELECT "Median"("value") FROM "sensor"', 'median', 'median()'],
      // Go lower-cases a dotted capital I to i, as it does a Kelvin sign to k.
      ['SELECT "PERCENTİLE"("value", 50) FROM "sensor"', 'percentile', 'quantile'],
      ['SELECT "MODE"("value") FROM "sensor"', 'mode', 'mode()'],
      ['SELECT stddev("value") FROM "sensor" WHERE time > now() - 1h GROUP BY time(5m)', 'stddev', 'stddev()'],
      ['SELECT mean("value") FROM "sensor"; SELECT median("value") FROM "sensor"', 'median', 'median()'],
      [
        'SELECT max("p") FROM (SELECT percentile("value", 90) AS "p" FROM "sensor" GROUP BY "entity_id")',
        'percentile',
        '',
      ],
      ['SELECT spread(median("value")) FROM "sensor" GROUP BY time(1h)', 'median', ''],
      // `1./` divides for InfluxDB: no pattern starts there to hide the call up to the next `/`.
      ['SELECT 1./2 + percentile("value", 50) / 2 FROM "sensor"', 'percentile', 'quantile'],
      ['SELECT distinct("value") FROM "sensor"', 'distinct', 'distinct() |> count()'],
      ['SELECT count(distinct("value")) FROM "sensor"', 'distinct', 'count_hll(sum_hll(…))'],
      ['SELECT COUNT(DISTINCT "value") FROM "sensor"', 'distinct', 'count_hll'],
      ['SELECT DISTINCT "value" FROM "sensor"', 'distinct', 'count_hll'],
      ['SELECT count("distinct"("value")) FROM "sensor"', 'distinct', 'count_hll'],
      [
        'SELECT holt_winters(first("value"), 10, 0) FROM "sensor" WHERE time > now() - 1d GROUP BY time(1m)',
        'holt_winters',
        'holtWinters()',
      ],
      [
        'SELECT Holt_Winters_With_Fit(mean("value"), 5, 4) FROM "sensor" GROUP BY time(1h)',
        'holt_winters_with_fit',
        '',
      ],
    ] as const) {
      refuses(q, `InfluxQL's ${name}()`);
      refuses(q, flux);
    }
  });

  it('keeps names, values, patterns and comments that only look like those functions', () => {
    allows('SELECT "percentile", "median" AS "mode" FROM "stddev" GROUP BY "distinct"');
    allows(`SELECT mean("value") FROM "sensor" WHERE "entity_id" = 'percentile(' AND "unit" =~ /median\\(/`);
    allows(`SELECT last("value") FROM /percentile(/ -- median("value")`);
    allows('/* mode("value") */ SELECT count("value") FROM "sensor"');
    allows('SELECT percentile_x("value"), "x"."median" FROM "sensor"');
    // A quote inside a pattern opens no string that could hide a call from the guard.
    refuses(`SELECT "value" FROM /a'/ WHERE "e" =~ /'/ OR mode("value") > 0`, "InfluxQL's mode()");
  });

  it('reads `name./` as a division in an expression and as a pattern only where a measurement is named', () => {
    // In a field, an argument or a condition InfluxDB reads `"value"./2` as "value" / 2: no pattern starts there
    // to hide what follows up to the next `/`.
    refuses(
      'SELECT max("v") FROM (SELECT "value" AS "v" FROM "sensor" WHERE "value"./2 > 0), (SELECT percentile("value", 50) AS "v" FROM "sensor" WHERE "value"/2 > 0)',
      "InfluxQL's percentile()",
    );
    refuses('SELECT sum("value"./2) + percentile("value", 50)/1 FROM "sensor"', "InfluxQL's percentile()");
    refuses(
      'SELECT mean("value") FROM "sensor" WHERE "value"./2 > 0; SELECT median("value") FROM "sensor" WHERE "value"/2 > 0',
      "InfluxQL's median()",
    );
    refuses(
      'SELECT * FROM (SELECT sum("v"./2) + mode("v")/1 FROM "s"), "db"."rp"./x/ WHERE "v"./2 > 0',
      "InfluxQL's mode()",
    );
    // After a database or retention policy it is the measurement's pattern, for SELECT and SHOW alike: a quote in it
    // opens no string that could hide the statements after it.
    refuses(`SELECT * FROM "db"."rp"./'/; DROP MEASUREMENT "sensor"; SELECT * FROM "a'"`, 'DROP is not');
    refuses(
      `SHOW MEASUREMENTS WITH MEASUREMENT =~ "rp"./'/; DROP MEASUREMENT "sensor"; SHOW MEASUREMENTS WITH MEASUREMENT =~ "rp"./'/`,
      'DROP is not',
    );
    refuses(
      `SELECT mean("v") FROM (SELECT "v" FROM "db"."rp"./'/), "db"./'/ GROUP BY "e"; SELECT stddev("v") FROM "s"`,
      "InfluxQL's stddev()",
    );
    expect(kinds('SELECT a./2 FROM b.c./d/ WHERE e./2')).toEqual([
      'word:SELECT',
      'word:a',
      'symbol:.',
      'symbol:/',
      'number:2',
      'word:FROM',
      'word:b',
      'symbol:.',
      'word:c',
      'symbol:.',
      'regex:/d/',
      'word:WHERE',
      'word:e',
      'symbol:.',
      'symbol:/',
      'number:2',
    ]);
  });

  it('keeps every bounded aggregate and selector', () => {
    for (const f of ['count', 'mean', 'sum', 'min', 'max', 'first', 'last', 'spread', 'integral', 'derivative'])
      allows(`SELECT ${f}("value") FROM "sensor" WHERE time > now() - 30d GROUP BY time(1h), "entity_id" fill(none)`);
    allows('SELECT count_hll(sum_hll("value")) FROM "sensor"');
    allows('SELECT exponential_moving_average(mean("value"), 100000) FROM "sensor" GROUP BY time(1m)');
    allows('SELECT cumulative_sum(difference(last("value"))) FROM "sensor" GROUP BY time(1d)');
  });

  it('allows counts up to the row limit, written as a plain number', () => {
    expect(MAX_INFLUXQL_COUNT).toBe(10_000);
    allows('SELECT top("value", 10) FROM "sensor"');
    allows(`SELECT bottom("value", "entity_id", 10000) FROM "sensor"`);
    allows('SELECT sample("value", 100), moving_average("value", 00010) FROM "sensor"');
    allows('SELECT kaufmans_adaptive_moving_average("value", 10, 1000000) FROM "sensor"');
    for (const q of [
      'SELECT top("value", 10001) FROM "sensor"',
      'SELECT TOP("value", "entity_id", 1000000000) FROM "sensor"',
      'SELECT "bottom"("value", 99999999999999999999) FROM "sensor"',
      'SELECT sample("value", 100000000) FROM "sensor"',
      'SELECT moving_average(mean("value"), 20000) FROM "sensor" GROUP BY time(1m)',
      'SELECT chande_momentum_oscillator("value", 1000000000) FROM "sensor"',
      'SELECT kaufmans_efficiency_ratio("value", 1000000000) FROM "sensor"',
      'SELECT kaufmans_adaptive_moving_average("value", 1000000000) FROM "sensor"',
      // A Kelvin sign for the k: Go's strings.ToLower makes it the function.
      'SELECT "\u212Aaufmans_adaptive_moving_average"("value", 1000000000) FROM "sensor"',
      // InfluxDB folds constant arithmetic into a number: only a plain number is read as the count.
      'SELECT top("value", 100000 * 100000) FROM "sensor"',
      'SELECT top("value", (1000000000)) FROM "sensor"',
      'SELECT top("value", +5) FROM "sensor"',
      'SELECT top("value", /* 5 */ 1000000000) FROM "sensor"',
      'SELECT top("value", 5.0) FROM "sensor"',
      // A call InfluxDB cannot parse is refused by the count all the same.
      'SELECT top("value", 1000000000 FROM "sensor"',
      'SELECT top("value", 1000000000; SELECT 1',
    ])
      refuses(q, /with a count of at most 10000, written as a plain number/);
  });
});
