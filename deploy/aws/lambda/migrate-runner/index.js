// Runs the one-off migration task (family insightstream-migrate) for CloudFormation, as the
// onEvent/isComplete pair of a custom resource behind the CDK provider framework: onEvent starts
// the task, isComplete polls it until it stops. The deploy fails — and the ECS services, which
// depend on this resource, are not updated — unless every container of the task exited 0.
//
// Create and Update run the task (an Update happens whenever the task definition changes, i.e.
// with every new image); Delete does nothing. Running it again is harmless: `insightstream
// migrate` applies only what is missing, and an older binary skips migrations it does not know,
// so a stack rollback (an Update back to the previous task definition) succeeds too.
'use strict';

/** The handlers over an ECS client with `send(command)`; `commands` builds the requests. */
function makeHandlers(ecs, commands) {
  async function onEvent(event) {
    const props = event.ResourceProperties;
    if (event.RequestType === 'Delete') {
      return { PhysicalResourceId: event.PhysicalResourceId };
    }
    const out = await ecs.send(
      commands.runTask({
        cluster: props.Cluster,
        taskDefinition: props.TaskDefinition,
        launchType: 'FARGATE',
        count: 1,
        startedBy: 'cfn-migrations',
        networkConfiguration: {
          awsvpcConfiguration: {
            subnets: props.Subnets,
            securityGroups: props.SecurityGroups,
            assignPublicIp: 'DISABLED',
          },
        },
      }),
    );
    const failures = (out.failures || []).map((f) => `${f.arn || ''} ${f.reason || ''} ${f.detail || ''}`.trim());
    if (failures.length > 0 || !out.tasks || out.tasks.length === 0) {
      throw new Error(`the migration task did not start: ${failures.join('; ') || 'no task returned'}`);
    }
    console.log(JSON.stringify({ event: 'migrate.started', task: out.tasks[0].taskArn, taskDefinition: props.TaskDefinition }));
    return {
      PhysicalResourceId: props.PhysicalId || 'insightstream-migrations',
      Data: { TaskArn: out.tasks[0].taskArn },
    };
  }

  async function isComplete(event) {
    if (event.RequestType === 'Delete') return { IsComplete: true };
    const props = event.ResourceProperties;
    const taskArn = event.Data && event.Data.TaskArn;
    if (!taskArn) throw new Error('no TaskArn from onEvent');
    const out = await ecs.send(commands.describeTasks({ cluster: props.Cluster, tasks: [taskArn] }));
    const task = (out.tasks || [])[0];
    if (!task) {
      const why = (out.failures || []).map((f) => f.reason).join('; ');
      throw new Error(`the migration task ${taskArn} is gone: ${why || 'not found'}`);
    }
    if (task.lastStatus !== 'STOPPED') return { IsComplete: false };
    const containers = task.containers || [];
    const bad = containers.filter((c) => c.exitCode !== 0);
    if (containers.length === 0 || bad.length > 0) {
      const detail = bad
        .map((c) => `${c.name}: exit ${c.exitCode === undefined || c.exitCode === null ? 'none' : c.exitCode}${c.reason ? ` (${c.reason})` : ''}`)
        .join(', ');
      throw new Error(
        `migrations failed (task ${taskArn}, ${task.stoppedReason || 'stopped'}): ${detail || 'no containers'}; ` +
          `see the log group ${props.LogGroup || '/insightstream/migrate'}`,
      );
    }
    console.log(JSON.stringify({ event: 'migrate.succeeded', task: taskArn }));
    return { IsComplete: true, Data: { TaskArn: taskArn } };
  }

  return { onEvent, isComplete };
}

let real;
function handlers() {
  if (!real) {
    // The Lambda runtime's AWS SDK v3; loaded only there, so tests need no SDK.
    const { ECSClient, RunTaskCommand, DescribeTasksCommand } = require('@aws-sdk/client-ecs');
    real = makeHandlers(new ECSClient({}), {
      runTask: (input) => new RunTaskCommand(input),
      describeTasks: (input) => new DescribeTasksCommand(input),
    });
  }
  return real;
}

exports.makeHandlers = makeHandlers;
exports.onEvent = (event) => handlers().onEvent(event);
exports.isComplete = (event) => handlers().isComplete(event);
