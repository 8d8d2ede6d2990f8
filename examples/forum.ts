// The TypeScript usage example of docs/typescript.md (and the README), kept compiling and tested (test/examples.test.ts).
import { App, Chart } from 'cdk8s';
import { Discourse, DiscourseIngress, DiscourseMonitoring, IngressTls, PostgresConnection } from '../lib';

export function forumChart(app: App): Chart {
  const chart = new Chart(app, 'forum', { namespace: 'forum' });
  const forum = new Discourse(chart, 'forum', {
    image: { repository: 'registry.example.com/discourse', tag: '1.0' },
    externalHostname: 'forum.example.com',
    forceHttps: true,
    database: PostgresConnection.fromCrunchyPgo('hippo', 'discourse'),
    redis: { host: 'redis-master', password: { secret: 'redis', key: 'password' } },
    smtpAddress: 'smtp.example.com',
  });
  new DiscourseIngress(chart, 'ingress', forum, { tls: IngressTls.fromCertManager('letsencrypt') });
  new DiscourseMonitoring(chart, 'monitoring', forum);
  return chart;
}
