// The instance's msgpack encoding (msgpackr): plain objects, no records. msgpackr's plain
// JavaScript build: its native string extractor speeds up large strings, which these messages
// have not got, and looking for it costs the start of every Node process of the instance.
import { Packr } from 'msgpackr/pack';

/** A Packr of its own for each user: what pack() returns is reused by the instance's next pack(). */
export function newPackr(): Packr {
  return new Packr({ useRecords: false, mapsAsObjects: true });
}
