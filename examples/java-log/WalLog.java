// SPDX-License-Identifier: GPL-2.0-or-later
//
// WalLog: a write-ahead log in a file mapped with MAP_SYNC from Java
// (JEP 352, ExtendedMapMode.READ_WRITE_SYNC), the Java example of
// docs/own-tests.md.
//   java WalLog create FILE          size the file (torn's setup step)
//   java WalLog append FILE N [--bug] append N records
// The file: a 64-byte header "count NNNNNN", then 64-byte records, each
// "record NNNNNN: ..." ending in a newline.  A record is committed once
// the count covers it, so append persists the record (force) before the
// count.  With --bug it raises and persists the count first: a crash in
// between leaves a committed record that was never written.  After each
// commit it runs `torn-mark 16 K` (a marker the checker reads from
// TORN_MARKERS): spawning the guest's torn-mark needs no native code in
// the program, where a JNI shim would need a library built per JDK.
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import jdk.nio.mapmode.ExtendedMapMode;

public final class WalLog {
	static final int SLOT = 64;
	static final int MAX = 64;
	static final long SIZE = SLOT * (MAX + 1);

	static byte[] slot(String text) {
		byte[] b = new byte[SLOT];
		byte[] t = text.getBytes(StandardCharsets.US_ASCII);

		java.util.Arrays.fill(b, (byte) ' ');
		System.arraycopy(t, 0, b, 0, Math.min(t.length, SLOT - 1));
		b[SLOT - 1] = '\n';
		return b;
	}

	static String record(int k) {
		return String.format("record %06d: the quick brown fox jumps over", k);
	}

	static void mark(int k) throws IOException, InterruptedException {
		Process p = new ProcessBuilder("torn-mark", "16", Integer.toString(k),
				"committed").inheritIO().start();
		if (p.waitFor() != 0)
			throw new IOException("torn-mark exited " + p.exitValue());
	}

	static void put(MappedByteBuffer m, int off, byte[] b) {
		m.put(off, b);
		m.force(off, b.length); // clwb (or clflushopt) and sfence
	}

	public static void main(String[] args) throws Exception {
		if (args.length >= 2 && args[0].equals("create")) {
			try (FileChannel fc = FileChannel.open(Path.of(args[1]),
					StandardOpenOption.CREATE, StandardOpenOption.READ,
					StandardOpenOption.WRITE)) {
				fc.truncate(0);
				fc.write(java.nio.ByteBuffer.wrap(slot("count 000000")), 0);
				fc.write(java.nio.ByteBuffer.wrap(new byte[1]), SIZE - 1);
				fc.force(true);
			}
			return;
		}
		if (args.length < 3 || !args[0].equals("append")) {
			System.err.println("usage: WalLog create FILE | append FILE N [--bug]");
			System.exit(2);
		}
		int n = Integer.parseInt(args[2]);
		boolean bug = args.length > 3 && args[3].equals("--bug");
		try (FileChannel fc = FileChannel.open(Path.of(args[1]),
				StandardOpenOption.READ, StandardOpenOption.WRITE)) {
			MappedByteBuffer m = fc.map(ExtendedMapMode.READ_WRITE_SYNC, 0, SIZE);
			for (int k = 1; k <= n && k <= MAX; k++) {
				byte[] count = slot(String.format("count %06d", k));

				if (bug)
					put(m, 0, count); // the bug: committed before written
				put(m, SLOT * k, slot(record(k)));
				if (!bug)
					put(m, 0, count);
				mark(k);
			}
		}
		System.out.println("WalLog: " + n + " records appended");
	}
}
