// A deterministic sales-like CSV: the same seed gives the same bytes on every machine, so a
// mismatch found once can be reproduced. Every figure is made from integers (cents, seconds) so
// the file holds exactly what its text says.
//   SalesCsv({ rows, seed }) → string

// mulberry32: small, fast and fully specified (Math.random cannot be seeded).
function Prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const kRegions = ['North', 'South', 'East', 'West', 'Central'];
const kChannels = ['Online', 'Retail', 'Partner', 'Phone'];
// A quarter of the products need CSV quoting: a comma, a doubled quote, or both.
const kProducts = Array.from({ length: 120 }, (_, i) => {
  const base = `Product ${String(i).padStart(3, '0')}`;
  switch (i % 8) {
    case 0: return `${base}, large`;
    case 1: return `${base} "Pro"`;
    default: return base;
  }
});
const kDayMs = 86_400_000;
const kFirstDay = Date.UTC(2022, 0, 1) / kDayMs;
const kDays = 3 * 365;

function Quoted(text) {
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function Cents(cents) {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

function IsoDate(day) {
  return new Date(day * kDayMs).toISOString().slice(0, 10);
}

function IsoSeconds(ms) {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

export function SalesCsv({ rows, seed }) {
  const rnd = Prng(seed);
  const pick = (list) => list[Math.floor(rnd() * list.length)];
  const lines = ['order_id,order_date,region,channel,product,quantity,unit_price,revenue,discount,returned,weight_kg,created_at'];
  for (let i = 0; i < rows; i++) {
    const day = kFirstDay + Math.floor(rnd() * kDays);
    const quantity = 1 + Math.floor(rnd() * 20);
    const priceCents = 99 + Math.floor(rnd() * 99_901);
    // About 4 % of the discounts are missing: nulls the engines must count alike.
    const discount = rnd() < 0.04 ? '' : Cents(Math.floor(rnd() * 5001));
    const returned = rnd() < 0.06;
    // Full double precision (more than nine fractional digits): the column is a float.
    const weight = String(rnd() * 50 + 0.001);
    // To the millisecond: the summary must keep 12:00:00.100 and 12:00:00.200 apart.
    const created = day * kDayMs + Math.floor(rnd() * 86_400_000);
    lines.push([
      100_000 + i, IsoDate(day), pick(kRegions), pick(kChannels), Quoted(pick(kProducts)), quantity,
      Cents(priceCents), Cents(quantity * priceCents), discount, returned, weight, IsoSeconds(created),
    ].join(','));
  }
  return lines.join('\n') + '\n';
}
