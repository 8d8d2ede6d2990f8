import * as k8s from '../../imports/k8s';
import { containerSecurityContext } from '../core/security-context';

/**
 * Waits until a Deployment has rolled out `image` everywhere: the template runs the
 * image, the controller has seen the latest generation, and every replica is updated and
 * available with no old one left. Ruby, because the Discourse image has it (the rock
 * installs it with ruby-install) and has no kubectl; it reads the Deployment through the
 * API with the pod's ServiceAccount token, which needs only `get` on that one object.
 * Inputs come from env, so nothing is interpolated into the code. The API server is
 * found as every pod finds it: the kubelet sets `KUBERNETES_SERVICE_HOST` and `_PORT`
 * even with `enableServiceLinks: false`.
 */
export const ROLLOUT_WAIT_SCRIPT = `require "json"
require "net/http"
require "openssl"
sa = ENV.fetch("ROLLOUT_SERVICEACCOUNT_DIR", "/var/run/secrets/kubernetes.io/serviceaccount")
name = ENV.fetch("ROLLOUT_DEPLOYMENT")
image = ENV.fetch("ROLLOUT_IMAGE")
host = ENV.fetch("KUBERNETES_SERVICE_HOST", "kubernetes.default.svc")
host = "[#{host}]" if host.include?(":")
uri = URI("https://#{host}:#{ENV.fetch("KUBERNETES_SERVICE_PORT", "443")}/apis/apps/v1/namespaces/#{File.read("#{sa}/namespace").strip}/deployments/#{name}")
loop do
  begin
    http = Net::HTTP.new(uri.host, uri.port)
    http.use_ssl = true
    http.ca_file = "#{sa}/ca.crt"
    request = Net::HTTP::Get.new(uri)
    request["Authorization"] = "Bearer #{File.read("#{sa}/token")}"
    response = http.request(request)
    if response.is_a?(Net::HTTPSuccess)
      d = JSON.parse(response.body)
      s = d["status"] || {}
      want = d.dig("spec", "replicas") || 1
      images = (d.dig("spec", "template", "spec", "containers") || []).map { |c| c["image"] }
      counts = %w[replicas updatedReplicas availableReplicas].map { |k| s[k].to_i }
      if images.include?(image) && s["observedGeneration"].to_i >= d.dig("metadata", "generation").to_i && counts.all?(want)
        puts "#{name} runs #{image} on all #{want} replicas"
        exit 0
      end
      puts "waiting for #{name} to run #{image}: #{counts[1]}/#{want} updated, #{counts[0]} in all, #{counts[2]} available"
    else
      puts "waiting for #{name}: the API server answered #{response.code}"
    end
  rescue StandardError => e
    puts "waiting for #{name}: #{e.message}"
  end
  sleep Integer(ENV.fetch("ROLLOUT_POLL_SECONDS", "10"))
end
`;

/** The init container that holds a Job until `deployment` runs `image` on every replica. */
export function rolloutWaitContainer(deployment: string, image: string, readOnlyRootFilesystem: boolean, name = 'wait-for-rollout'): k8s.Container {
  return {
    name,
    image,
    imagePullPolicy: 'IfNotPresent',
    command: ['ruby', '-e', ROLLOUT_WAIT_SCRIPT],
    env: [
      { name: 'HOME', value: '/tmp' },
      { name: 'ROLLOUT_DEPLOYMENT', value: deployment },
      { name: 'ROLLOUT_IMAGE', value: image },
    ],
    resources: {
      requests: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('64Mi') },
      limits: { cpu: k8s.Quantity.fromString('200m'), memory: k8s.Quantity.fromString('128Mi') },
    },
    securityContext: containerSecurityContext(readOnlyRootFilesystem),
  };
}
