// The migration runner (lambda/migrate-runner): the custom resource handlers that start the
// insightstream-migrate task and report its outcome, driven with a fake ECS client.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';

const require = createRequire(__filename);
const { makeHandlers } = require('../lambda/migrate-runner/index.js') as {
  makeHandlers: (ecs: { send: (c: any) => Promise<any> }, commands: any) => {
    onEvent: (e: any) => Promise<any>;
    isComplete: (e: any) => Promise<any>;
  };
};

const props = {
  Cluster: 'arn:aws:ecs:eu-west-1:123456789012:cluster/c',
  TaskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/insightstream-migrate:7',
  Subnets: ['subnet-a', 'subnet-b'],
  SecurityGroups: ['sg-m'],
  LogGroup: '/insightstream/migrate',
};
const TASK = 'arn:aws:ecs:eu-west-1:123456789012:task/c/0123';

function fakeEcs(answers: any[]) {
  const sent: any[] = [];
  return {
    sent,
    ecs: {
      send: async (c: any) => {
        sent.push(c);
        const a = answers.shift();
        if (a instanceof Error) throw a;
        return a;
      },
    },
    commands: { runTask: (i: any) => ({ op: 'RunTask', ...i }), describeTasks: (i: any) => ({ op: 'DescribeTasks', ...i }) },
  };
}

describe('migrate runner', () => {
  it('starts the task on Create and Update, in the private subnets, no public IP', async () => {
    for (const RequestType of ['Create', 'Update']) {
      const f = fakeEcs([{ tasks: [{ taskArn: TASK }], failures: [] }]);
      const out = await makeHandlers(f.ecs, f.commands).onEvent({ RequestType, ResourceProperties: props, PhysicalResourceId: 'x' });
      assert.equal(out.Data.TaskArn, TASK);
      assert.equal(out.PhysicalResourceId, 'insightstream-migrations', 'stable id: an update never replaces it');
      assert.deepEqual(f.sent, [
        {
          op: 'RunTask',
          cluster: props.Cluster,
          taskDefinition: props.TaskDefinition,
          launchType: 'FARGATE',
          count: 1,
          startedBy: 'cfn-migrations',
          networkConfiguration: {
            awsvpcConfiguration: { subnets: props.Subnets, securityGroups: props.SecurityGroups, assignPublicIp: 'DISABLED' },
          },
        },
      ]);
    }
  });

  it('does nothing on Delete', async () => {
    const f = fakeEcs([]);
    const h = makeHandlers(f.ecs, f.commands);
    const out = await h.onEvent({ RequestType: 'Delete', ResourceProperties: props, PhysicalResourceId: 'insightstream-migrations' });
    assert.equal(out.PhysicalResourceId, 'insightstream-migrations');
    assert.deepEqual(await h.isComplete({ RequestType: 'Delete', ResourceProperties: props }), { IsComplete: true });
    assert.equal(f.sent.length, 0);
  });

  it('fails the deploy when the task cannot start', async () => {
    const f = fakeEcs([{ tasks: [], failures: [{ arn: 'x', reason: 'RESOURCE:ENI' }] }]);
    await assert.rejects(
      makeHandlers(f.ecs, f.commands).onEvent({ RequestType: 'Create', ResourceProperties: props }),
      /did not start: x RESOURCE:ENI/,
    );
  });

  it('waits while the task runs, succeeds when every container exited 0', async () => {
    const event = { RequestType: 'Update', ResourceProperties: props, Data: { TaskArn: TASK } };
    const f = fakeEcs([
      { tasks: [{ lastStatus: 'PROVISIONING' }] },
      { tasks: [{ lastStatus: 'RUNNING' }] },
      { tasks: [{ lastStatus: 'STOPPED', containers: [{ name: 'migrate', exitCode: 0 }, { name: 'app-login', exitCode: 0 }] }] },
    ]);
    const h = makeHandlers(f.ecs, f.commands);
    assert.deepEqual(await h.isComplete(event), { IsComplete: false });
    assert.deepEqual(await h.isComplete(event), { IsComplete: false });
    assert.equal((await h.isComplete(event)).IsComplete, true);
    assert.deepEqual(f.sent[0], { op: 'DescribeTasks', cluster: props.Cluster, tasks: [TASK] });
  });

  it('fails with the exit codes and the log group when a container failed or never ran', async () => {
    const event = { RequestType: 'Create', ResourceProperties: props, Data: { TaskArn: TASK } };
    const f = fakeEcs([
      {
        tasks: [
          {
            lastStatus: 'STOPPED',
            stoppedReason: 'Essential container in task exited',
            containers: [{ name: 'migrate', exitCode: 1 }, { name: 'app-login', reason: 'dependency not met' }],
          },
        ],
      },
    ]);
    await assert.rejects(
      makeHandlers(f.ecs, f.commands).isComplete(event),
      (e: Error) =>
        /migrate: exit 1/.test(e.message) &&
        /app-login: exit none \(dependency not met\)/.test(e.message) &&
        /\/insightstream\/migrate/.test(e.message),
    );
  });

  it('fails when the task is gone', async () => {
    const f = fakeEcs([{ tasks: [], failures: [{ reason: 'MISSING' }] }]);
    await assert.rejects(
      makeHandlers(f.ecs, f.commands).isComplete({ RequestType: 'Create', ResourceProperties: props, Data: { TaskArn: TASK } }),
      /is gone: MISSING/,
    );
  });
});
