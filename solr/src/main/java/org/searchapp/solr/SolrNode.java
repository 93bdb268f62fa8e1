package org.searchapp.solr;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

/**
 * One SolrCloud node in this JVM: {@code SolrNode <solr home> <port> <zkHost> [ready file]}.
 *
 * <p>JettySolrRunner is the launcher Solr's own cloud tests (MiniSolrCloudCluster) use; here it
 * runs one node per process, so that scripts/solrcloud can kill a node as a crash would. The
 * node serves http://127.0.0.1:port/solr and joins the cluster ZooKeeper keeps at zkHost. Once
 * it has loaded its cores it writes its process id to the ready file: a node restarted after a
 * crash can look live in ZooKeeper before it is (the dead process's session lasts until its
 * timeout), so scripts/solrcloud waits for this file first.
 */
public final class SolrNode {
  private SolrNode() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 3 || args.length > 4) {
      System.err.println("usage: SolrNode <solr home> <port> <zkHost> [ready file]");
      System.exit(2);
    }
    Path home = Path.of(args[0]).toAbsolutePath();
    int port = Integer.parseInt(args[1]);
    String zkHost = args[2];
    Files.createDirectories(home);
    Path solrXml = home.resolve("solr.xml");
    if (!Files.exists(solrXml)) {
      try (InputStream in = SolrNode.class.getResourceAsStream("/solr.xml")) {
        Files.copy(in, solrXml);
      }
    }
    Properties props = new Properties();
    props.setProperty("zkHost", zkHost);
    props.setProperty("hostContext", "solr");
    // Parts of Solr read zkHost from the system properties rather than from solr.xml.
    System.setProperty("zkHost", zkHost);
    JettyConfig config =
        JettyConfig.builder().setPort(port).setContext("/solr").stopAtShutdown(true).build();
    JettySolrRunner node = new JettySolrRunner(home.toString(), props, config);
    node.start(); // returns once the cores are loaded: registered in ZooKeeper, live
    System.out.println("SolrNode up: " + node.getBaseUrl() + " as " + node.getNodeName());
    if (args.length == 4) {
      Path ready = Path.of(args[3]);
      Path partial = ready.resolveSibling(ready.getFileName() + ".tmp");
      Files.writeString(partial, ProcessHandle.current().pid() + "\n");
      Files.move(partial, ready, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
    // Jetty's threads keep the JVM alive; SIGTERM stops the node cleanly (stopAtShutdown),
    // SIGKILL is the crash that scripts/solrcloud stop-node simulates.
    Thread.currentThread().join();
  }
}
