package org.searchapp.solr;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import org.apache.lucene.analysis.miscellaneous.ASCIIFoldingFilter;
import org.tartarus.snowball.ext.RomanianStemmer;

/**
 * Lucene's Snowball Romanian stemmer over words on stdin, one stem a line on stdout: the stemmer
 * behind the configset's SnowballPorterFilterFactory language="Romanian", for
 * bench/solr_stemmer.py to compare with PyStemmer's. With the argument {@code fold}, each word is
 * first folded by ASCIIFoldingFilter's function, as the configset's folded field does, and the
 * line is the folded word, a tab, its stem.
 */
public final class StemWords {
  private StemWords() {}

  public static void main(String[] args) throws Exception {
    boolean fold = args.length > 0 && args[0].equals("fold");
    RomanianStemmer stemmer = new RomanianStemmer();
    char[] folded = new char[256];
    try (BufferedReader in =
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        BufferedWriter out =
            new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8))) {
      for (String word = in.readLine(); word != null; word = in.readLine()) {
        if (fold) {
          if (folded.length < word.length() * 4) {
            folded = new char[word.length() * 4];
          }
          char[] chars = word.toCharArray();
          int length = ASCIIFoldingFilter.foldToASCII(chars, 0, folded, 0, chars.length);
          word = new String(folded, 0, length);
          out.write(word);
          out.write('\t');
        }
        stemmer.setCurrent(word);
        stemmer.stem();
        out.write(stemmer.getCurrent());
        out.write('\n');
      }
    }
  }
}
