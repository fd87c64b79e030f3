/**
 * The docker-compose file's nginx.conf is what scripts/deploy/nginx-config.ts writes for its two
 * instances, and routes each instance's media streams to it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { nginxConfig } from '../../scripts/deploy/nginx-config';

const DEPLOY = path.join(__dirname, '../../scripts/deploy');

describe('the reverse proxy of the deployment', () => {
  it('is the generator output for the docker-compose instances', () => {
    const compose = fs.readFileSync(path.join(DEPLOY, 'docker-compose.yml'), 'utf8');
    for (const id of ['tolk-1', 'tolk-2']) expect(compose).toContain(`TOLK_INSTANCE_ID: ${id}`);
    const conf = fs.readFileSync(path.join(DEPLOY, 'nginx.conf'), 'utf8');
    expect(conf).toBe(nginxConfig({ listen: '80', instances: [{ id: 'tolk-1', address: 'tolk-1:8080' }, { id: 'tolk-2', address: 'tolk-2:8080' }] }));
    expect(conf).toContain('location = /twilio/media/tolk-1 {\n      proxy_pass http://upstream_tolk_1;');
  });

  it('refuses an instance name nginx or the stream URL could not carry', () => {
    expect(() => nginxConfig({ listen: '80', instances: [{ id: 'a b', address: 'x:1' }] })).toThrow('not an instance id: a b');
    expect(() => nginxConfig({ listen: '80', instances: [] })).toThrow('at least one instance');
  });
});
